// libFuzzer: topic patterns parsed and matched against event types, checked against a
// plain dynamic-programming reference matcher. Input: "<pattern>\n<type>".
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/topic_pattern.hpp"

namespace {

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const auto dot = text.find('.', start);
        out.push_back(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) return out;
        start = dot + 1;
    }
}

// Does pattern p match type t? Dynamic programming over (pattern word, type word) suffixes:
// plain recursion is exponential in the number of '#' words (a libFuzzer timeout).
bool reference(const std::vector<std::string_view>& p, const std::vector<std::string_view>& t) {
    const std::size_t P = p.size(), T = t.size();
    std::vector<unsigned char> match((P + 1) * (T + 1), 0);  // match[i * (T + 1) + j]: p[i..] matches t[j..]
    const auto at = [&](std::size_t i, std::size_t j) -> unsigned char& { return match[i * (T + 1) + j]; };
    at(P, T) = 1;
    for (std::size_t i = P; i-- > 0;) {
        for (std::size_t j = T + 1; j-- > 0;) {
            if (p[i] == "#") {
                at(i, j) = at(i + 1, j) || (j < T && at(i, j + 1));
            } else {
                at(i, j) = j < T && (p[i] == "*" || p[i] == t[j]) && at(i + 1, j + 1);
            }
        }
    }
    return at(0, 0) != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const auto pattern_text = input.substr(0, newline);
    const auto type = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    try {
        const notify::core::TopicPattern pattern(pattern_text);
        if (!notify::core::is_valid_event_type(type)) return 0;
        const bool expected = pattern_text == "*" || reference(words(pattern_text), words(type));
        if (pattern.matches(type) != expected) std::abort();
    } catch (const notify::ValidationError&) {
    }
    return 0;
}
