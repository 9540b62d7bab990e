// Reading INI text with inih while keeping line numbers for messages (internal).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace notify::config::detail {

struct IniEntry {
    int line;
    std::string_view section;
    std::string_view key;
    std::string_view value;
    bool continuation;  // an indented line continuing the previous key's value
};

// Calls `on_entry` for every "key = value" line in order. `on_entry` returns an empty string
// to go on, or what is wrong with the entry. Throws notify::ConfigError
// "<file>:<line>: <what is wrong>" for the first problem: an entry refused by on_entry, a
// line that is not INI, a NUL byte, invalid UTF-8, control characters or an over-long line.
void read_ini(std::string_view text, const std::string& file,
              const std::function<std::string(const IniEntry&)>& on_entry);

}  // namespace notify::config::detail
