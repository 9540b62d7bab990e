// Composing one RFC 5322 mail: headers (RFC 2047 for non-ASCII text), a quoted-printable
// UTF-8 text body, CRLF line endings, no line longer than 78 bytes (internal).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "notify/core/timestamp.hpp"

namespace notify::handlers::email {

struct MailContent {
    std::string from;                  // a checked address
    std::vector<std::string> to;       // checked addresses
    std::string subject;               // UTF-8, one line
    std::string message_id;            // "<unique@domain>"
    core::Timestamp date{};
    std::vector<std::pair<std::string, std::string>> extra_headers;  // ASCII, checked
    std::string body;                  // UTF-8 text; any line endings
};

// The whole message. Lines of the body are encoded, so no body line can end the message
// early (a lone "." or a bare LF) or exceed the 998-byte limit.
std::string compose(const MailContent& mail);

// "Tue, 24 Nov 2026 09:30:00 +0000", independent of the locale.
std::string rfc5322_date(core::Timestamp time);

// `text` as the value of a header whose name takes `name_length` bytes: unchanged when it
// is short printable ASCII, otherwise RFC 2047 "=?UTF-8?B?...?=" words folded onto lines.
std::string encode_header_text(std::string_view text, std::size_t name_length);

// Quoted-printable (RFC 2045) with CRLF line breaks; "\n", "\r\n" and "\r" in `text` all
// end a line.
std::string quoted_printable(std::string_view text);

}  // namespace notify::handlers::email
