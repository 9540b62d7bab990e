// The subject of a listener's mails: text with {placeholders} from the event (internal).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "notify/core/event.hpp"

namespace notify::handlers::email {

// Placeholders: {type} {id} {time} {source} {effective} and {data.NAME} (NAME may go
// deeper: {data.repo.id}); {{ and }} stand for literal braces. Immutable, thread-safe.
class SubjectTemplate {
public:
    // Throws notify::ValidationError naming the template and the fault: an unknown
    // placeholder (with a suggestion), an unclosed or stray brace, a control character,
    // more than 500 bytes.
    explicit SubjectTemplate(std::string_view text);

    // The subject for `event`, one line: control characters in event values become spaces.
    // A {data...} field the event lacks stays visible as the placeholder itself, and
    // {effective} of an event without one is its time.
    std::string render(const core::Event& event) const;

private:
    struct Part {
        bool placeholder = false;
        std::string text;  // literal text, or the placeholder's name
    };
    std::vector<Part> parts_;
};

}  // namespace notify::handlers::email
