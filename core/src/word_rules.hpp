// The character rule shared by event types and topic patterns (internal).
#pragma once

namespace notify::core::detail {

constexpr bool is_word_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

}  // namespace notify::core::detail
