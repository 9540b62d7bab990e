// libFuzzer: topic patterns parsed and matched against event types, checked against a
// plain recursive reference matcher. Input: "<pattern>\n<type>".
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

bool reference(const std::vector<std::string_view>& p, std::size_t i, const std::vector<std::string_view>& t, std::size_t j) {
    if (i == p.size()) return j == t.size();
    if (p[i] == "#") return reference(p, i + 1, t, j) || (j < t.size() && reference(p, i, t, j + 1));
    if (j == t.size()) return false;
    return (p[i] == "*" || p[i] == t[j]) && reference(p, i + 1, t, j + 1);
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
        const bool expected = pattern_text == "*" || reference(words(pattern_text), 0, words(type), 0);
        if (pattern.matches(type) != expected) std::abort();
    } catch (const notify::ValidationError&) {
    }
    return 0;
}
