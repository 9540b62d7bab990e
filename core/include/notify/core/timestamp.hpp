// UTC timestamps with microsecond precision and their RFC 3339 text form.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace notify::core {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// The current UTC time, truncated to microseconds. Thread-safe.
Timestamp now() noexcept;

// "2026-11-23T18:12:00.123456Z": always UTC, always six fractional digits.
std::string format_rfc3339(Timestamp t);

// Parses an RFC 3339 date-time ("T" or "t" separator, "Z" or a "+hh:mm"/"-hh:mm" offset,
// 0 to 9 fractional digits; digits beyond microseconds are truncated) and converts it to UTC.
// Throws notify::ValidationError naming the text when it is not such a date-time.
Timestamp parse_rfc3339(std::string_view text);

}  // namespace notify::core
