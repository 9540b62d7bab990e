#include "digest_text.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::handlers::email {

namespace {

constexpr std::size_t max_cell = 100;

// Event types by how many events each has, most first (then by name).
std::vector<std::pair<std::string, std::size_t>> type_counts(const core::Delivery& d) {
    std::map<std::string, std::size_t> counts;
    for (const auto& e : d.digest) ++counts[e->type()];
    std::vector<std::pair<std::string, std::size_t>> out(counts.begin(), counts.end());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

// At most `limit` characters (UTF-8 aware), "..." marking a cut.
std::string cut(const std::string& text, std::size_t limit) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;
        if (++chars > limit) return text.substr(0, i) + "...";
    }
    return text;
}

std::string pad(const std::string& text, std::size_t width) {
    std::size_t chars = 0;
    for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    return text + std::string(width > chars ? width - chars : 0, ' ');
}

std::string events_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " event" : " events"); }

}  // namespace

std::string digest_subject(const core::Delivery& d) {
    std::string subject = "Digest: " + events_text(d.digest.size()) + " (";
    bool first = true;
    for (const auto& [type, count] : type_counts(d)) {
        subject += (first ? "" : ", ") + type + " " + std::to_string(count);
        first = false;
    }
    subject += ")";
    return cut(subject, 200);
}

std::string digest_body(const core::Delivery& d) {
    const auto& events = d.digest;
    std::string text = events_text(events.size()) + " from " + core::format_rfc3339(events.front()->time()) +
                       " to " + core::format_rfc3339(events.back()->time()) + " (listener " + d.listener->id + ").\n\n";
    for (const auto& [type, count] : type_counts(d)) text += pad(std::to_string(count), 7) + type + "\n";

    std::vector<std::array<std::string, 5>> rows{{"TIME", "TYPE", "SOURCE", "ID",
                                                  d.listener->transform.empty() ? "DATA" : "TRANSFORMED"}};
    for (const auto& e : events) {
        const auto json = d.listener->transform.empty() ? e->data() : core::message_body(*e, *d.listener);
        rows.push_back({core::format_rfc3339(e->time()), e->type(), core::escape_controls(e->source()), e->id(),
                        cut(core::escape_controls(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
                            max_cell)});
    }
    std::array<std::size_t, 4> width{};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    text += "\n";
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < width.size(); ++c) line += pad(row[c], width[c] + 2);
        text += line + row[4] + "\n";
    }
    return text;
}

}  // namespace notify::handlers::email
