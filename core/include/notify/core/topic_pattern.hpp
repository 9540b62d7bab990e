// TopicPattern: AMQP topic-exchange matching on dotted event types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace notify::core {

// A validated pattern. Words are separated by '.'; a word is '*' (exactly one word),
// '#' (zero or more words) or 1+ characters of [A-Za-z0-9_-]. As in older admin tools a lone
// "*" means every event (it is treated as "#"). Immutable after construction, so one
// pattern may be matched from many threads at once.
class TopicPattern {
public:
    // Throws notify::ValidationError naming the pattern and the rule it breaks
    // (empty, longer than 255 bytes, empty word, a word mixing wildcards and letters, ...).
    explicit TopicPattern(std::string_view text);

    static bool is_valid(std::string_view text) noexcept;

    // True when `type` (a valid event type) matches. Allocation-free, O(words) typical.
    bool matches(std::string_view type) const noexcept;

    // The text as given (a lone "*" stays "*").
    const std::string& text() const noexcept { return text_; }
    // True for "#", "*" and patterns made only of '#' words.
    bool matches_everything() const noexcept { return everything_; }

    friend bool operator==(const TopicPattern& a, const TopicPattern& b) {
        return a.text_ == b.text_;
    }

private:
    enum class Kind : std::uint8_t { literal, one, any };
    struct Word {
        Kind kind;
        std::string text;  // only for literals
    };

    std::string text_;
    std::vector<Word> words_;
    bool everything_ = false;
};

}  // namespace notify::core
