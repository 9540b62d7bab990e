// notify stats, notify listener show and notify listener test: what each listener's
// deliveries are doing, and a test event to one listener.
#include <iomanip>
#include <sstream>

#include "commands.hpp"
#include "listener_format.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::cli {

namespace {

using State = core::DeliveryStatus::State;

// The oldest pending delivery's age: "-" for none, else "850ms", "12s", "3m", "2h", "1d".
std::string age_text(const std::optional<std::chrono::milliseconds>& age) {
    if (!age) return "-";
    const auto ms = age->count();
    if (ms < 1000) return std::to_string(ms) + "ms";
    if (ms < 120 * 1000) return std::to_string(ms / 1000) + "s";
    if (ms < 120 * 60 * 1000) return std::to_string(ms / 60000) + "m";
    if (ms < 48LL * 3600 * 1000) return std::to_string(ms / 3600000) + "h";
    return std::to_string(ms / 86400000) + "d";
}

nlohmann::json stats_json(const core::ListenerStats& s, const std::string& kind) {
    nlohmann::json j = {{"listener_id", s.listener_id}, {"kind", kind},          {"pending", s.pending},
                        {"in_flight", s.in_flight},     {"delivered", s.delivered}, {"retried", s.retried},
                        {"dead", s.dead}};
    j["oldest_pending_seconds"] =
        s.oldest_pending_age ? nlohmann::json(static_cast<double>(s.oldest_pending_age->count()) / 1000.0) : nullptr;
    return j;
}

// Kinds by listener id; "?" for a listener deleted since its deliveries were counted.
std::map<std::string, std::string> kinds_of(Context& context) {
    std::map<std::string, std::string> out;
    for (const auto& l : context.listener_store().list()) out[l.id] = l.kind;
    return out;
}

void print_stats(std::ostream& out, const std::vector<core::ListenerStats>& all,
                 const std::map<std::string, std::string>& kinds) {
    if (all.empty()) {
        out << "No listeners.\n";
        return;
    }
    out << std::left << std::setw(10) << "LISTENER" << std::setw(8) << "KIND" << std::right << std::setw(9) << "PENDING"
        << std::setw(11) << "IN FLIGHT" << std::setw(11) << "DELIVERED" << std::setw(9) << "RETRIED" << std::setw(7)
        << "DEAD" << "  " << "OLDEST PENDING" << '\n';
    for (const auto& s : all) {
        const auto kind = kinds.find(s.listener_id);
        out << std::left << std::setw(10) << s.listener_id << std::setw(8)
            << (kind == kinds.end() ? std::string("?") : kind->second) << std::right << std::setw(9) << s.pending
            << std::setw(11) << s.in_flight << std::setw(11) << s.delivered << std::setw(9) << s.retried
            << std::setw(7) << s.dead << "  " << age_text(s.oldest_pending_age) << '\n';
    }
}

core::ListenerStats stats_of(core::Notifier& notifier, const std::string& id) {
    for (const auto& s : notifier.stats()) {
        if (s.listener_id == id) return s;
    }
    core::ListenerStats none;
    none.listener_id = id;
    return none;
}

}  // namespace

void add_stats_command(CLI::App& app, Context& context, Action& action) {
    auto* stats = app.add_subcommand("stats", "Per listener: pending, in flight, delivered, retried, dead, oldest pending");
    stats->callback([&context, &action] {
        action = [&context] {
            const auto all = context.notifier(false)->stats();
            const auto kinds = kinds_of(context);
            if (context.json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& s : all) out.push_back(stats_json(s, kinds.count(s.listener_id) ? kinds.at(s.listener_id) : "?"));
                context.print_json(out);
            } else {
                print_stats(context.out, all, kinds);
            }
            return exit_ok;
        };
    });
}

void add_listener_check_commands(CLI::App& listener, Context& context, Action& action, const DefaultsOf& defaults,
                                 const std::function<nlohmann::json(const core::Listener&)>& as_json) {
    auto id = std::make_shared<std::string>();
    auto* show = listener.add_subcommand("show", "One listener (secrets masked) and its deliveries' counts");
    show->add_option("id,--listener-id", *id, "The listener")->required();
    show->callback([&context, &action, id, defaults, as_json] {
        action = [&context, id, defaults, as_json] {
            auto notifier = context.notifier(false);
            const auto l = notifier->listeners().get(*id);
            const auto s = stats_of(*notifier, l.id);
            if (context.json) {
                auto j = as_json(l);
                j["stats"] = stats_json(s, l.kind);
                context.print_json(j);
            } else {
                print_listener(context.out, l, defaults);
                context.out << "deliveries:            " << s.pending << " pending, " << s.in_flight << " in flight, "
                            << s.delivered << " delivered, " << s.retried << " retried, " << s.dead << " dead"
                            << (s.oldest_pending_age ? "; oldest pending " + age_text(s.oldest_pending_age) : "") << '\n';
            }
            return exit_ok;
        };
    });

    auto test_id = std::make_shared<std::string>();
    auto wait = std::make_shared<double>(30);
    auto* test = listener.add_subcommand(
        "test", "Send a notify.test event to this listener alone and wait for its outcome (exit 1 unless delivered)");
    test->add_option("id,--listener-id", *test_id, "The listener")->required();
    test->add_option("--wait", *wait, "Seconds to wait for the outcome (default 30)")
        ->check(CLI::Range(0.1, 86400.0));
    test->callback([&context, &action, test_id, wait] {
        action = [&context, test_id, wait] {
            // Only this listener's handler starts; other listeners' deliveries are left alone.
            const auto l = context.listener_store().get(*test_id);
            auto notifier = context.notifier(true, {}, {l.id});
            core::Event event("notify.test",
                              {{"listener_id", l.id}, {"message", "a test from notify listener test"}}, "notify-cli");
            const auto deadline = context.started + std::chrono::milliseconds(static_cast<long long>(*wait * 1000));
            const auto status = notifier->wait(notifier->fire_to(event, l.id), deadline).at(0);
            notifier->stop(std::chrono::steady_clock::now() + wait_close_grace);
            const char* state = status.state == State::delivered ? "delivered"
                                : status.state == State::dead    ? "dead"
                                                                 : "pending";
            if (context.json) {
                context.print_json({{"listener_id", l.id}, {"event", core::to_json(event)},
                                    {"delivery_id", status.delivery_id}, {"state", state},
                                    {"attempts", status.attempts}, {"last_error", status.last_error}});
            } else {
                context.out << "Sent notify.test to " << l.kind << " listener " << l.id << ": " << state;
                if (!status.last_error.empty()) context.out << " (" << core::escape_controls(status.last_error) << ")";
                context.out << '\n';
            }
            if (status.state == State::pending) {
                context.warn("not confirmed within --wait; the test delivery stays in the outbox for `notify serve`");
            }
            return status.state == State::delivered ? exit_ok : exit_failure;
        };
    });
}

}  // namespace notify::cli
