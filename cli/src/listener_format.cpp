// Human output for listeners: what `listener create/update/list` print without --json.
#include "listener_format.hpp"

#include <algorithm>
#include <iomanip>

#include "notify/core/timestamp.hpp"

namespace notify::cli {

namespace {

std::string patterns(const core::Listener& l) {
    std::string out;
    for (const auto& p : l.event_types) out += (out.empty() ? "" : ", ") + p.text();
    return out;
}

std::string settings_text(const core::Listener& l) {
    std::string out;
    const auto settings = l.masked_settings();
    for (const auto& [key, value] : settings.items()) {
        if (!out.empty()) out += "  ";
        out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
    return out;
}

}  // namespace

void print_listener(std::ostream& out, const core::Listener& l) {
    out << "id:                    " << l.id << '\n'
        << "kind:                  " << l.kind << '\n'
        << "event types:           " << patterns(l) << '\n'
        << "format:                " << l.format << '\n'
        << "delay until effective: " << (l.delay_until_effective ? "yes" : "no") << '\n';
    const auto settings = l.masked_settings();
    for (const auto& [key, value] : settings.items()) {
        out << std::left << std::setw(23) << (key + ":") << (value.is_string() ? value.get<std::string>() : value.dump())
            << '\n';
    }
    out << "created:               " << core::format_rfc3339(l.created) << '\n'
        << "updated:               " << core::format_rfc3339(l.updated) << '\n';
}

void print_listener_table(std::ostream& out, const std::vector<core::Listener>& listeners) {
    if (listeners.empty()) {
        out << "No listeners. Create one with: notify listener amqp create --event-type TYPE\n";
        return;
    }
    std::size_t types_width = 11;
    for (const auto& l : listeners) types_width = std::max(types_width, patterns(l).size());
    types_width = std::min<std::size_t>(types_width, 40);
    out << std::left << std::setw(10) << "ID" << std::setw(7) << "KIND" << std::setw(13) << "FORMAT"
        << std::setw(static_cast<int>(types_width) + 2) << "EVENT TYPES" << "SETTINGS" << '\n';
    for (const auto& l : listeners) {
        out << std::left << std::setw(10) << l.id << std::setw(7) << l.kind << std::setw(13) << l.format
            << std::setw(static_cast<int>(types_width) + 2) << patterns(l) << settings_text(l)
            << (l.delay_until_effective ? "  (delayed until effective)" : "") << '\n';
    }
}

}  // namespace notify::cli
