// Small text helpers shared by every module: safe quoting of user input in messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace notify::core {

// Quotes `text` for an error message: single quotes, control bytes, quotes and invalid
// UTF-8 escaped as \xNN, cut after `max_bytes` with "..." so a message stays one short line.
std::string quote_text(std::string_view text, std::size_t max_bytes = 80);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text) noexcept;

// True when `text` holds a byte below 0x20 or 0x7f (CR, LF, NUL, ...).
bool has_control_chars(std::string_view text) noexcept;

// The candidate closest to `word` (edit distance, or one containing the other), or an
// empty string when none is close enough to be worth suggesting.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace notify::core
