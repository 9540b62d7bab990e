// Topic pattern validation and word-wise glob matching.
#include "notify/core/topic_pattern.hpp"

#include <algorithm>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/text.hpp"
#include "word_rules.hpp"

namespace notify::core {

namespace {

constexpr std::string_view pattern_rule =
    "a pattern is dot-separated words, each '*' (one word), '#' (zero or more words) or "
    "letters, digits, '_' and '-'";

// Empty when `text` is a valid pattern, else the first rule it breaks.
std::string pattern_problem(std::string_view text) {
    if (text.empty()) return "it is empty";
    if (text.size() > max_event_type_bytes) {
        return "it is " + std::to_string(text.size()) + " bytes long (at most 255)";
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t dot = std::min(text.find('.', start), text.size());
        const std::string_view word = text.substr(start, dot - start);
        if (word.empty()) return "word " + std::to_string(start) + " is empty";
        const bool wildcard = word == "*" || word == "#";
        if (!wildcard) {
            for (std::size_t i = 0; i < word.size(); ++i) {
                const char c = word[i];
                if (c == '*' || c == '#') {
                    return "word " + quote_text(word) + " mixes a wildcard with other characters";
                }
                if (!detail::is_word_char(c)) {
                    return "byte " + std::to_string(start + i) + " is not allowed";
                }
            }
        }
        start = dot + 1;
    }
    return {};
}

// Offset of the word after the one starting at `pos`; type.size() + 1 past the last word.
std::size_t next_word(std::string_view type, std::size_t pos) noexcept {
    const std::size_t dot = type.find('.', pos);
    return dot == std::string_view::npos ? type.size() + 1 : dot + 1;
}

std::string_view word_at(std::string_view type, std::size_t pos) noexcept {
    const std::size_t dot = type.find('.', pos);
    return type.substr(pos, (dot == std::string_view::npos ? type.size() : dot) - pos);
}

}  // namespace

TopicPattern::TopicPattern(std::string_view text) : text_(text) {
    const std::string problem = pattern_problem(text);
    if (!problem.empty()) {
        throw ValidationError("invalid event-type pattern " + quote_text(text) + ": " + problem +
                              "; " + std::string(pattern_rule));
    }
    if (text == "*") {
        words_.push_back({Kind::any, {}});
    } else {
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t dot = std::min(text.find('.', start), text.size());
            const std::string_view word = text.substr(start, dot - start);
            if (word == "#") {
                // "#.#" matches exactly what "#" matches; one '#' keeps matching linear.
                if (words_.empty() || words_.back().kind != Kind::any) {
                    words_.push_back({Kind::any, {}});
                }
            } else if (word == "*") {
                words_.push_back({Kind::one, {}});
            } else {
                words_.push_back({Kind::literal, std::string(word)});
            }
            start = dot + 1;
        }
    }
    everything_ = words_.size() == 1 && words_.front().kind == Kind::any;
}

bool TopicPattern::is_valid(std::string_view text) noexcept {
    try {
        return pattern_problem(text).empty();
    } catch (...) {  // only std::bad_alloc while building a message
        return false;
    }
}

bool TopicPattern::matches(std::string_view type) const noexcept {
    if (everything_) return true;
    // Word-wise glob: '#' is '*' of a shell glob, '*' is '?'. Greedy with one backtrack
    // point, which is exact for this pattern language.
    const std::size_t end = type.size() + 1;
    const std::size_t n = words_.size();
    std::size_t p = 0;
    std::size_t t = type.empty() ? end : 0;
    std::size_t star_p = n;  // n = no '#' seen yet
    std::size_t star_t = 0;
    while (t < end) {
        if (p < n && words_[p].kind == Kind::any) {
            star_p = p++;
            star_t = t;
        } else if (p < n && (words_[p].kind == Kind::one || words_[p].text == word_at(type, t))) {
            ++p;
            t = next_word(type, t);
        } else if (star_p != n) {
            p = star_p + 1;
            star_t = next_word(type, star_t);
            t = star_t;
        } else {
            return false;
        }
    }
    while (p < n && words_[p].kind == Kind::any) ++p;
    return p == n;
}

}  // namespace notify::core
