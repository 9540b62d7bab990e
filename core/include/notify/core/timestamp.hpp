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

// An instant and the UTC offset a host gave it in (its local time there).
struct ZonedTime {
    Timestamp instant;
    std::chrono::minutes offset{0};  // within +-23:59
};

// "2027-01-01T00:00:00+01:00", ".123456" added when the microseconds are not zero: the
// local time at the offset, never "Z", as Python's datetime.isoformat() writes it and
// datetime.fromisoformat() (3.7 and later) reads it back. Throws notify::ValidationError
// for an offset of a day or more.
std::string format_iso_offset(const ZonedTime& t);

// Parses what parse_rfc3339 parses and keeps the offset ("Z" is +00:00).
ZonedTime parse_zoned(std::string_view text);

}  // namespace notify::core
