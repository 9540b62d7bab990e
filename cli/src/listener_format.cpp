// Human output for listeners: what `listener create/update/list` print without --json.
#include "listener_format.hpp"

#include <algorithm>
#include <array>
#include <iomanip>

#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::cli {

namespace {

std::string patterns(const core::Listener& l) {
    std::string out;
    for (const auto& p : l.event_types) out += (out.empty() ? "" : ", ") + p.text();
    return out;
}

// Characters, not bytes: a pattern may hold UTF-8 (each character one column here).
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string settings_text(const core::Listener& l, const DefaultsOf& defaults) {
    std::string out;
    const auto settings = l.masked_settings();
    for (const auto& [key, value] : settings.items()) {
        if (!out.empty()) out += "  ";
        out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
    for (const auto& [key, value] : defaults(l)) out += (out.empty() ? "" : "  ") + key + "=" + value + " (default)";
    return out;
}

}  // namespace

std::string duration_text(std::chrono::milliseconds duration) {
    const auto ms = duration.count();
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    for (const auto& [unit, size] : {std::pair{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}}) {
        if (ms != 0 && ms % size == 0) return std::to_string(ms / size) + unit;
    }
    return std::to_string(ms / 1000) + "s";
}

void print_listener(std::ostream& out, const core::Listener& l, const DefaultsOf& defaults) {
    out << "id:                    " << l.id << '\n'
        << "kind:                  " << l.kind << '\n'
        << "event types:           " << patterns(l) << '\n'
        << "format:                " << l.format << '\n'
        << "delay until effective: " << (l.delay_until_effective ? "yes" : "no") << '\n';
    if (!l.filter.empty()) out << "filter:                " << core::escape_controls(l.filter) << '\n';
    if (!l.transform.empty()) out << "transform:             " << core::escape_controls(l.transform) << '\n';
    if (l.rate.limited()) out << "rate:                  " << core::to_string(l.rate) << '\n';
    if (l.digest.count() != 0) out << "digest:                " << duration_text(l.digest) << '\n';
    if (l.max_mails_per_hour != 0) out << "max mails per hour:    " << l.max_mails_per_hour << '\n';
    const auto settings = l.masked_settings();
    for (const auto& [key, value] : settings.items()) {
        out << std::left << std::setw(23) << (key + ":") << (value.is_string() ? value.get<std::string>() : value.dump())
            << '\n';
    }
    for (const auto& [key, value] : defaults(l)) out << std::left << std::setw(23) << (key + ":") << value << " (default)\n";
    out << "created:               " << core::format_rfc3339(l.created) << '\n'
        << "updated:               " << core::format_rfc3339(l.updated) << '\n';
}

void print_listener_table(std::ostream& out, const std::vector<core::Listener>& listeners,
                          const std::vector<std::string>& kinds, const DefaultsOf& defaults) {
    if (listeners.empty()) {
        std::string list;
        for (const auto& kind : kinds) list += (list.empty() ? "" : ", ") + kind;
        out << "No listeners. Create one with: notify listener KIND create --event-type TYPE (kinds: "
            << (list.empty() ? std::string("none; no handler plugin is loaded") : list) << ")\n";
        return;
    }
    // Each column as wide as its widest cell, and two spaces between columns, so that no two
    // values ever touch (a long pattern list used to run into the settings).
    std::vector<std::array<std::string, 4>> rows{{"ID", "KIND", "FORMAT", "EVENT TYPES"}};
    for (const auto& l : listeners) rows.push_back({l.id, l.kind, l.format, patterns(l)});
    std::array<std::size_t, 4> width{};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < width.size(); ++c) {
            out << rows[r][c] << std::string(width[c] - display_width(rows[r][c]) + 2, ' ');
        }
        if (r == 0) {
            out << "SETTINGS\n";
            continue;
        }
        const auto& l = listeners[r - 1];
        out << settings_text(l, defaults) << (l.delay_until_effective ? "  (delayed until effective)" : "")
            << (l.filter.empty() ? "" : "  filter=" + core::escape_controls(l.filter))
            << (l.transform.empty() ? "" : "  transform=" + core::escape_controls(l.transform))
            << (l.rate.limited() ? "  rate=" + core::to_string(l.rate) : "")
            << (l.digest.count() == 0 ? "" : "  digest=" + duration_text(l.digest))
            << (l.max_mails_per_hour == 0 ? "" : "  max-mails-per-hour=" + std::to_string(l.max_mails_per_hour)) << '\n';
    }
}

}  // namespace notify::cli
