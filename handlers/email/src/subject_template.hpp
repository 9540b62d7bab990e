// The subject of a listener's mails: an event template that is a safe mail header (internal).
#pragma once

#include <string>
#include <string_view>

#include "notify/core/event.hpp"
#include "notify/core/event_template.hpp"

namespace notify::handlers::email {

// core::EventTemplate's placeholders; the text itself must be a safe header value.
// Immutable, thread-safe.
class SubjectTemplate {
public:
    // Throws notify::ValidationError naming the template and the fault: an unknown
    // placeholder (with a suggestion), an unclosed or stray brace, a control character,
    // a line separator or bidirectional control, more than 500 bytes.
    explicit SubjectTemplate(std::string_view text);

    // The subject for `event`: one line of at most 998 bytes (RFC 5322's line limit).
    std::string render(const core::Event& event) const;

private:
    core::EventTemplate template_;
};

}  // namespace notify::handlers::email
