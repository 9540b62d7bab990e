// RFC 3339 formatting and parsing on Howard Hinnant's date library.
#include "notify/core/timestamp.hpp"

#include <sstream>

// date.h's parser reads a long double it initialises only on the paths that use it; GCC 12
// cannot see that once inlined and warns (a known false positive), so only here it is muted.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <date/date.h>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

Timestamp now() noexcept {
    return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string format_rfc3339(Timestamp t) {
    return date::format("%FT%TZ", t);
}

Timestamp parse_rfc3339(std::string_view text) {
    const auto fail = [&]() -> ValidationError {
        return ValidationError("invalid time " + quote_text(text) +
                               ": expected RFC 3339, e.g. 2026-11-23T18:12:00.123456Z or "
                               "2026-11-23T19:12:00+01:00");
    };
    // "YYYY-MM-DDThh:mm:ss" is the shortest accepted form; the date library is lenient about
    // digit counts and separators, so the fixed positions are checked here first.
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[13] != ':' ||
        text[16] != ':' || (text[10] != 'T' && text[10] != 't')) {
        throw fail();
    }
    std::string normal(text);
    normal[10] = 'T';
    const char last = normal.back();
    const bool zulu = last == 'Z' || last == 'z';
    if (zulu) normal.back() = 'Z';

    std::istringstream in(normal);
    date::sys_time<std::chrono::nanoseconds> parsed;
    std::chrono::minutes offset{0};
    if (zulu) {
        in >> date::parse("%FT%TZ", parsed);
    } else {
        in >> date::parse("%FT%T%Ez", parsed, offset);
    }
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) throw fail();
    // date::parse with an offset already returns UTC ("local - offset").
    return std::chrono::floor<std::chrono::microseconds>(parsed);
}
#pragma GCC diagnostic pop

}  // namespace notify::core
