// notify event types, notify event fire.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "event_batch.hpp"
#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"
#include "progress.hpp"

namespace notify::cli {

namespace {

using State = core::DeliveryStatus::State;

// A day: --wait is for watching a delivery, not for parking a process.
constexpr int max_wait_seconds = 86400;

struct FireArgs {
    std::string type;
    std::string data = "{}";
    std::string effective;
    std::string call_report;  // JSON; empty = none
    std::string correlation_id;  // empty = none
    std::string source = "notify-cli";
    double wait = 0;
    std::string from;  // --from FILE|-: JSON lines instead of one event
};

std::string_view state_name(State s) {
    switch (s) {
        case State::pending: return "pending";
        case State::delivered: return "delivered";
        case State::dead: return "dead";
    }
    return "?";
}

// `text` as JSON; errors name `flag`.
nlohmann::json parse_json_flag(const std::string& text, const std::string& flag) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw ValidationError(flag + " is not JSON: " + std::string(e.what()));
    } catch (const nlohmann::json::out_of_range&) {
        // nlohmann's own text ("[json.exception.out_of_range.406] number overflow...") names no flag.
        throw ValidationError(flag + " holds a number too large for a double (such as 1e400)");
    } catch (const nlohmann::json::exception& e) {
        throw ValidationError(flag + " cannot be read: " + std::string(e.what()));
    }
}

core::Event make_event(const FireArgs& args) {
    nlohmann::json data = parse_json_flag(args.data, "--data");
    if (!data.is_object()) throw ValidationError("--data must be a JSON object, e.g. '{\"uuid\": \"...\"}'");
    core::Event event(args.type, std::move(data), args.source);
    if (!args.effective.empty()) {
        try {
            event.set_effective(core::parse_rfc3339(args.effective));
        } catch (const ValidationError& e) {
            throw ValidationError(std::string("--effective: ") + e.what());
        }
    }
    if (!args.call_report.empty()) {
        try {
            event.set_call_report(parse_json_flag(args.call_report, "--call-report"));
        } catch (const ValidationError& e) {
            const std::string what = e.what();
            throw ValidationError(what.rfind("--call-report", 0) == 0 ? what : "--call-report: " + what);
        }
    }
    if (!args.correlation_id.empty()) {
        try {
            event.set_correlation_id(args.correlation_id);
        } catch (const ValidationError& e) {
            throw ValidationError(std::string("--correlation-id: ") + e.what());
        }
    }
    return event;
}

int fire(Context& context, const FireArgs& args) {
    // std::isfinite first: NaN compares false to everything, and inf or 1e300 seconds would
    // overflow the deadline into the past.
    if (!std::isfinite(args.wait) || args.wait < 0 || args.wait > max_wait_seconds) {
        throw ValidationError("--wait must be a number of seconds from 0 to " + std::to_string(max_wait_seconds));
    }
    const auto event = make_event(args);
    if (args.wait <= 0 && context.settings().store().memory_outbox) {
        throw ValidationError("[store] outbox = memory keeps no outbox for notify serve: an event fired without "
                              "--wait would be lost; give --wait SECONDS to deliver it now, or use outbox = durable");
    }
    // --wait delivers from here, but only for the listeners this event matches: their
    // handlers alone are started, and other listeners' deliveries are left to serve.
    std::vector<std::string> matching;
    for (const auto& l : context.listener_store().list()) {
        if (std::any_of(l.event_types.begin(), l.event_types.end(),
                        [&](const core::TopicPattern& p) { return p.matches(event.type()); })) {
            matching.push_back(l.id);
        }
    }
    auto notifier = context.notifier(args.wait > 0 && !matching.empty(), {}, matching);
    const auto receipt = notifier->fire(event);
    auto status = notifier->status(receipt);
    if (args.wait > 0) {
        Progress progress(context.err, context.interactive());
        // From the start of the command: loading plugins and settings counts against --wait.
        const auto deadline = context.started + std::chrono::milliseconds(static_cast<long long>(args.wait * 1000));
        while (true) {
            // Returns at the moment the last outcome is recorded; the progress line every 100 ms.
            status = notifier->wait(receipt, std::min(deadline, std::chrono::steady_clock::now() +
                                                                    std::chrono::milliseconds(100)));
            const auto pending = std::count_if(status.begin(), status.end(), [](const auto& s) { return s.state == State::pending; });
            if (pending == 0 || std::chrono::steady_clock::now() >= deadline) break;
            progress.show("waiting for " + std::to_string(pending) + " of " + std::to_string(status.size()) +
                          " deliveries to be confirmed...");
        }
        progress.clear();
        // Whatever is not confirmed stays in the outbox for `notify serve` or a later run.
        // Stopping ends what is still under way at once, so the command returns within
        // --wait plus a second, however silent the servers are.
        notifier->stop(std::chrono::steady_clock::now() + wait_close_grace);
    }
    const bool all_delivered = std::all_of(status.begin(), status.end(), [](const auto& s) { return s.state == State::delivered; });
    if (context.json) {
        nlohmann::json deliveries = nlohmann::json::array();
        for (const auto& s : status) {
            deliveries.push_back({{"listener_id", s.listener_id}, {"delivery_id", s.delivery_id},
                                  {"state", state_name(s.state)}, {"attempts", s.attempts}, {"last_error", s.last_error}});
        }
        context.print_json({{"event", core::to_json(event)}, {"deliveries", deliveries}});
    } else {
        context.out << "Fired " << event.type() << " (event " << event.id() << "): " << status.size()
                    << (status.size() == 1 ? " listener matches" : " listeners match") << '\n';
        for (const auto& s : status) {
            context.out << "  listener " << s.listener_id << ": " << (args.wait > 0 ? state_name(s.state) : "stored");
            if (!s.last_error.empty()) context.out << " (" << s.last_error << ")";
            context.out << '\n';
        }
        if (args.wait <= 0 && !status.empty()) {
            context.out << "Stored in the outbox: `notify serve` (or a host application) delivers it.\n";
        }
    }
    if (args.wait > 0 && !all_delivered) {
        const auto pending = std::count_if(status.begin(), status.end(), [](const auto& s) { return s.state == State::pending; });
        const auto dead = std::count_if(status.begin(), status.end(), [](const auto& s) { return s.state == State::dead; });
        std::ostringstream why;
        if (pending > 0) {
            why << pending << " of " << status.size() << " deliveries still pending after " << args.wait
                << " s (kept in the outbox for notify serve or a later run), " << dead << " failed";
        } else {
            why << dead << " of " << status.size() << " deliveries failed for good (dead letters: notify delivery list "
                << "--state dead)";
        }
        throw CommandFailed(why.str());
    }
    return exit_ok;
}

}  // namespace

void add_event_commands(CLI::App& app, Context& context, Action& action) {
    auto* event = app.add_subcommand("event", "Event types and firing events");
    event->require_subcommand(1);

    auto* types = event->add_subcommand("types", "List the known event types: the well-known ones and [events] catalogue's");
    types->callback([&] {
        action = [&] {
            const auto list = context.catalogue().list();
            if (context.json) {
                nlohmann::json all = nlohmann::json::array();
                for (const auto& t : list) all.push_back({{"type", t.type}, {"description", t.description}});
                context.print_json(all);
            } else {
                for (const auto& t : list) context.out << std::left << std::setw(34) << t.type << t.description << '\n';
            }
            return exit_ok;
        };
    });

    auto args = std::make_shared<FireArgs>();
    auto* fire_cmd = event->add_subcommand("fire", "Fire an event through the same path a host uses");
    auto* type = fire_cmd->add_option("type", args->type, "The event type, e.g. repo.sync.finish");
    fire_cmd->add_option("--data", args->data, "The event data, a JSON object (default {})");
    fire_cmd->add_option("--effective", args->effective, "When it takes effect (RFC 3339), if not now");
    fire_cmd->add_option("--source", args->source, "Who fired it (default notify-cli)");
    fire_cmd->add_option("--call-report", args->call_report,
                         "JSON report of the task it fired in, sent as the pulp format's call_report");
    fire_cmd->add_option("--correlation-id", args->correlation_id,
                         "The request or task it belongs to, sent as the AMQP message's correlation-id");
    fire_cmd->add_option("--wait", args->wait,
                         "Deliver now and wait up to SECONDS for every delivery to be confirmed; exit 1 if not");
    auto* from = fire_cmd->add_option(
        "--from", args->from,
        "Fire the events of a file of JSON lines ('-' = standard input), each an event's JSON form, in batches of "
        "10,000 per commit; stored for notify serve");
    // One event from the flags, or many from --from, never both.
    for (auto* single : fire_cmd->get_options()) {
        if (single != from && !single->check_lname("help")) from->excludes(single);
    }
    fire_cmd->callback([&context, &action, args, type, from] {
        action = [&context, args, type, from] {
            if (from->count() > 0) return fire_from(context, args->from);
            if (type->count() == 0) throw ValidationError("give the event type, or --from FILE (see --help)");
            return fire(context, *args);
        };
    });
}

}  // namespace notify::cli
