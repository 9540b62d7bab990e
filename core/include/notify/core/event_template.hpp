// EventTemplate: one line of text with {placeholders} filled from an event, for values a
// listener sets (a mail subject, an AMQP application property).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "notify/core/event.hpp"

namespace notify::core {

// Placeholders: {type} {id} {time} {source} {effective} and {data.NAME} (NAME may go
// deeper: {data.repo.id}); {{ and }} stand for literal braces. Immutable, thread-safe.
class EventTemplate {
public:
    // Throws notify::ValidationError "<what> '<text>': <fault>": an unknown placeholder
    // (with a suggestion), an unclosed or stray brace, a control character or line separator,
    // invalid UTF-8, more than 500 bytes. `what` names
    // the template for the user ("subject", "--amqp-header X-Origin").
    EventTemplate(std::string_view text, std::string_view what);

    // The text for `event`, one line of at most `max_bytes` (cut between two characters):
    // control and line-breaking characters in event values become spaces. A {data...}
    // field the event lacks stays visible as the placeholder itself, and {effective} of
    // an event without one is its time.
    std::string render(const Event& event, std::size_t max_bytes) const;

private:
    struct Part {
        bool placeholder = false;
        std::string text;  // literal text, or the placeholder's name
    };
    std::vector<Part> parts_;
};

}  // namespace notify::core
