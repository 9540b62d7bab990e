// notify event fire --from: a host's backfill or a migration's replay of many events.
#include "event_batch.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <span>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::cli {

namespace {

// The members of an event's JSON form (core::to_json).
const std::vector<std::string> event_keys{"type", "id", "time", "effective", "source", "data", "call_report",
                                          "correlation_id"};

std::vector<core::Event> read_events(std::istream& in, const std::string& name) {
    std::vector<core::Event> events;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        const auto start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        const std::string where = name + ":" + std::to_string(number) + ": ";
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw ValidationError(where + "not JSON: " + core::flatten_line(e.what()));
        }
        if (!json.is_object()) throw ValidationError(where + "expected an event, a JSON object with \"type\"");
        for (const auto& [key, unused] : json.items()) {
            if (std::find(event_keys.begin(), event_keys.end(), key) == event_keys.end()) {
                const auto near = core::closest_match(key, event_keys);
                throw ValidationError(where + "unknown key " + core::quote_text(key) +
                                      (near.empty() ? std::string() : "; did you mean \"" + near + "\"?"));
            }
        }
        // What a host's fire() fills in when not given: a new id, now, the CLI as source.
        if (!json.contains("id")) json["id"] = core::new_uuid();
        if (!json.contains("time")) json["time"] = core::format_rfc3339(core::now());
        if (!json.contains("source")) json["source"] = "notify-cli";
        try {
            events.push_back(core::event_from_json(json));
        } catch (const Error& e) {
            throw ValidationError(where + e.what());
        }
    }
    if (in.bad()) throw CommandFailed("cannot read " + name);
    return events;
}

}  // namespace

int fire_from(Context& context, const std::string& from) {
    std::vector<core::Event> events;
    if (from == "-") {
        events = read_events(std::cin, "standard input");
    } else {
        std::ifstream file(from);
        if (!file) throw ValidationError("--from " + core::quote_text(from) + ": cannot open the file");
        events = read_events(file, from);
    }
    if (context.settings().store().memory_outbox) {
        throw ValidationError("[store] outbox = memory keeps no outbox for notify serve: events fired with --from "
                              "would be lost; use outbox = durable");
    }
    auto notifier = context.notifier(false);
    std::size_t deliveries = 0;
    std::size_t batches = 0;
    const std::span<const core::Event> all(events);
    for (std::size_t at = 0; at < all.size(); at += fire_batch_size) {
        const auto stored = notifier->fire(all.subspan(at, std::min(fire_batch_size, all.size() - at))).deliveries.size();
        deliveries += stored;
        if (stored > 0) ++batches;  // a batch no listener wants writes nothing
    }
    if (context.json) {
        context.print_json({{"events", events.size()}, {"deliveries", deliveries}, {"commits", batches}});
    } else {
        context.out << "Fired " << events.size() << (events.size() == 1 ? " event" : " events") << " from "
                    << (from == "-" ? "standard input" : from) << ": " << deliveries
                    << (deliveries == 1 ? " delivery" : " deliveries") << " stored in " << batches
                    << (batches == 1 ? " commit" : " commits") << "; `notify serve` (or a host) delivers them.\n";
    }
    return exit_ok;
}

}  // namespace notify::cli
