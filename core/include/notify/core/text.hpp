// Small text helpers shared by every module: safe quoting of user input in messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notify::core {

// Quotes `text` for an error message: single quotes, control bytes, quotes and invalid
// UTF-8 escaped as \xNN, line separators and bidirectional controls as \u{NNNN} (see
// escape_controls()), cut after `max_bytes` with "..." so a message stays one short line.
std::string quote_text(std::string_view text, std::size_t max_bytes = 80);

// `text` made safe for one line of a log or a terminal: control bytes (CR, LF, ESC, BEL,
// DEL, ...) and invalid UTF-8 as \xNN, and the characters that break or reorder a line
// (C1 controls such as U+0085, U+2028, U+2029, bidirectional overrides U+202A-U+202E and
// U+2066-U+2069) as \u{NNNN}; everything else unchanged.
std::string escape_controls(std::string_view text);

// True when `c` is one of the characters escape_controls() escapes as \u{NNNN}: a line
// or paragraph separator, a C1 control, or a bidirectional control.
bool is_line_breaking_or_bidi(char32_t c) noexcept;

// `text` as one plain line for a mail header: control bytes and the characters
// is_line_breaking_or_bidi() names become spaces, bytes that are not valid UTF-8 become '?'.
std::string flatten_line(std::string_view text);

// True when `text` holds a character is_line_breaking_or_bidi() names.
bool has_line_breaking_or_bidi(std::string_view text) noexcept;

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text) noexcept;

// True when `text` holds a byte below 0x20 or 0x7f (CR, LF, NUL, ...).
bool has_control_chars(std::string_view text) noexcept;

// The candidate closest to `word` (edit distance, or one containing the other), or an
// empty string when none is close enough to be worth suggesting.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace notify::core
