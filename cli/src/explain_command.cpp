// notify listener explain: whether a listener takes an event, why, and the message its
// handler would send, without sending anything.
#include <algorithm>
#include <iomanip>

#include "commands.hpp"
#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/notifier.hpp"
#include "notify/core/text.hpp"

namespace notify::cli {

namespace {

// The event --event describes: a JSON object with "type" and, optionally, "data", "source",
// "effective", "id" and "time" (the others are made as `event fire` makes them).
core::Event event_of(const std::string& text) {
    try {
        const auto given = nlohmann::json::parse(text);
        if (!given.is_object()) throw ValidationError("expected a JSON object with at least \"type\"");
        if (!given.contains("type") || !given["type"].is_string()) throw ValidationError("\"type\" is missing");
        auto json = core::to_json(core::Event(given["type"].get<std::string>(), nlohmann::json::object(), "notify-cli"));
        for (const auto& [key, value] : given.items()) json[key] = value;
        return core::event_from_json(json);
    } catch (const nlohmann::json::parse_error& e) {
        throw ValidationError("--event is not JSON: " + std::string(e.what()));
    } catch (const ValidationError& e) {
        throw ValidationError(std::string("--event: ") + e.what());
    }
}

struct Explanation {
    bool takes = false;
    std::vector<std::pair<std::string, std::string>> reasons;  // (what, why), in the order they apply
    std::optional<core::MessagePreview> message;
    std::string message_note;  // what the preview shows, when it is not the whole story
};

Explanation explain(Context& context, const core::Listener& l, const core::Event& event) {
    Explanation x;
    std::string patterns;
    for (const auto& p : l.event_types) patterns += (patterns.empty() ? "" : ", ") + p.text();
    const auto match = std::find_if(l.event_types.begin(), l.event_types.end(),
                                    [&](const core::TopicPattern& p) { return p.matches(event.type()); });
    if (match == l.event_types.end()) {
        x.reasons.emplace_back("event type", event.type() + " matches none of " + patterns);
        return x;
    }
    x.reasons.emplace_back("event type", event.type() + " matches " + match->text());
    if (!l.filter.empty()) {
        const auto verdict = core::evaluate_filter(l, event);
        if (!verdict.error.empty()) {
            x.reasons.emplace_back("filter", "fails on this event, so the listener skips it: " +
                                                 core::escape_controls(verdict.error));
            return x;
        }
        x.reasons.emplace_back("filter", core::escape_controls(l.filter) + (verdict.passed ? ": true" : ": not true"));
        if (!verdict.passed) return x;
    }
    x.takes = true;
    const auto& factory = context.handlers()->get(l.kind);
    const bool digests = factory.takes_digests();
    const bool held = l.delay_until_effective && event.effective();
    std::string when = held ? "held until its effective time, " + core::format_rfc3339(*event.effective()) : "at once";
    if (digests && l.digest.count() != 0) {
        when = "in a digest: one message lists every event of a window, sent " + duration_text(l.digest) +
               " after the window's first event" + (held ? " (counted from its effective time)" : "");
    }
    x.reasons.emplace_back("delivery", when);
    if (l.rate.limited()) {
        x.reasons.emplace_back("rate", "at most " + core::to_string(l.rate) + " (bursts of up to " +
                                           std::to_string(l.rate.count) + "); deliveries past it wait");
    }
    if (digests && l.max_mails_per_hour != 0) {
        x.reasons.emplace_back("mail limit", std::to_string(l.max_mails_per_hour) +
                                                 " an hour; past it, events wait and go together in one message");
    }
    // The id fire() would give this delivery (the event's id is --event's, or made here).
    core::Delivery delivery{core::delivery_id(event.id(), l.id), std::make_shared<const core::Event>(event),
                            std::make_shared<const core::Listener>(l), 1, {}};
    if (digests && l.digest.count() != 0) {
        delivery.digest.push_back(delivery.event);
        x.message_note = "a digest of this event alone; each event of the window adds a row";
    }
    x.message = factory.preview(delivery, context.section(factory.config_section()));
    return x;
}

}  // namespace

void add_listener_explain_command(CLI::App& listener, Context& context, Action& action) {
    auto id = std::make_shared<std::string>();
    auto event_text = std::make_shared<std::string>();
    auto* cmd = listener.add_subcommand(
        "explain", "Whether a listener takes an event (patterns, filter, digest, rate) and the message its handler "
                   "would send, without sending it (exit 1 when it does not take it)");
    cmd->add_option("id,--listener-id", *id, "The listener")->required();
    cmd->add_option("--event", *event_text,
                    "The event as JSON: {\"type\": ..., \"data\": {...}} and optionally source, effective, id, time")
        ->required();
    cmd->callback([&context, &action, id, event_text] {
        action = [&context, id, event_text] {
            const auto event = event_of(*event_text);
            const auto l = context.listener_store().get(*id);
            const auto x = explain(context, l, event);
            if (context.json) {
                nlohmann::json reasons = nlohmann::json::object();
                for (const auto& [what, why] : x.reasons) reasons[what] = why;
                nlohmann::json out = {{"listener_id", l.id}, {"kind", l.kind}, {"takes", x.takes},
                                      {"event", core::to_json(event)}, {"reasons", reasons}};
                if (x.message) {
                    nlohmann::json fields = nlohmann::json::array();
                    for (const auto& [name, value] : x.message->fields) fields.push_back({name, value});
                    out["message"] = {{"fields", fields}, {"body", x.message->body}};
                    if (!x.message_note.empty()) out["message"]["note"] = x.message_note;
                }
                context.print_json(out);
            } else {
                context.out << "Listener " << l.id << " (" << l.kind << ") " << (x.takes ? "takes" : "does not take")
                            << " this " << event.type() << " event.\n";
                for (const auto& [what, why] : x.reasons) {
                    context.out << "  " << std::left << std::setw(12) << what << why << '\n';
                }
                if (x.message) {
                    context.out << "\nThe message it would send (not sent"
                                << (x.message_note.empty() ? "" : "; " + x.message_note) << "):\n";
                    for (const auto& [name, value] : x.message->fields) {
                        context.out << "  " << name << ": " << core::escape_controls(value) << '\n';
                    }
                    context.out << '\n' << x.message->body << (x.message->body.ends_with('\n') ? "" : "\n");
                }
            }
            return x.takes ? exit_ok : exit_failure;
        };
    });
}

}  // namespace notify::cli
