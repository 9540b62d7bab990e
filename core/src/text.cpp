// Quoting and UTF-8 checks for messages that echo user input.
#include "notify/core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace notify::core {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
    const std::uint8_t b0 = byte(i);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint32_t min = 0;
    std::uint32_t cp = 0;
    if ((b0 & 0xe0) == 0xc0) { len = 2; min = 0x80; cp = b0 & 0x1f; }
    else if ((b0 & 0xf0) == 0xe0) { len = 3; min = 0x800; cp = b0 & 0x0f; }
    else if ((b0 & 0xf8) == 0xf0) { len = 4; min = 0x10000; cp = b0 & 0x07; }
    else return 0;
    if (i + len > text.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

// The code point of one well-formed UTF-8 sequence.
char32_t decode_utf8(std::string_view seq) noexcept {
    const auto b0 = static_cast<std::uint8_t>(seq[0]);
    char32_t cp = seq.size() == 2 ? (b0 & 0x1f) : seq.size() == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    for (std::size_t k = 1; k < seq.size(); ++k) cp = (cp << 6) | (static_cast<std::uint8_t>(seq[k]) & 0x3f);
    return cp;
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

bool is_line_breaking_or_bidi(char32_t c) noexcept {
    return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

std::string escape_controls(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<std::uint8_t>(text[i]);
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0 || b < 0x20 || b == 0x7f) {
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0x0f];
            ++i;
            continue;
        }
        if (len > 1) {
            const char32_t c = decode_utf8(text.substr(i, len));
            if (is_line_breaking_or_bidi(c)) {
                char buffer[16];
                std::snprintf(buffer, sizeof buffer, "\\u{%04x}", static_cast<unsigned>(c));
                out += buffer;
                i += len;
                continue;
            }
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

std::string flatten_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<std::uint8_t>(text[i]);
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0) {
            out += '?';
            ++i;
        } else if (b < 0x20 || b == 0x7f || (len > 1 && is_line_breaking_or_bidi(decode_utf8(text.substr(i, len))))) {
            out += ' ';
            i += len;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

bool has_line_breaking_or_bidi(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = utf8_sequence_length(text, i);
        if (len > 1 && is_line_breaking_or_bidi(decode_utf8(text.substr(i, len)))) return true;
        i += len == 0 ? 1 : len;
    }
    return false;
}

bool has_control_chars(std::string_view text) noexcept {
    for (const char c : text) {
        const auto b = static_cast<std::uint8_t>(c);
        if (b < 0x20 || b == 0x7f) return true;
    }
    return false;
}

std::string quote_text(std::string_view text, std::size_t max_bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "'";
    std::size_t i = 0;
    while (i < text.size()) {
        if (i >= max_bytes) {
            out += "...";
            break;
        }
        const auto b = static_cast<std::uint8_t>(text[i]);
        const std::size_t len = utf8_sequence_length(text, i);
        if (b < 0x20 || b == 0x7f || b == '\'' || b == '\\' || len == 0) {
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0x0f];
            ++i;
        } else if (len > 1 && is_line_breaking_or_bidi(decode_utf8(text.substr(i, len)))) {
            char buffer[16];
            std::snprintf(buffer, sizeof buffer, "\\u{%04x}", static_cast<unsigned>(decode_utf8(text.substr(i, len))));
            out += buffer;
            i += len;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    out += '\'';
    return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    if (word.empty() || word.size() > 256) return {};
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        std::size_t distance = edit_distance(word, candidate);
        const bool contains = word.size() >= 3 && (candidate.find(word) != std::string::npos ||
                                                   word.find(candidate) != std::string_view::npos);
        if (contains) distance = std::min<std::size_t>(distance, 1);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

}  // namespace notify::core
