// RFC 3339 formatting and parsing on Howard Hinnant's date library.
#include "notify/core/timestamp.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <sstream>

// date.h's parser reads a long double it initialises only on the paths that use it; GCC 12
// cannot see that once inlined and warns (a known false positive), so only here it is muted.
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

Timestamp now() noexcept {
    return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string format_rfc3339(Timestamp t) {
    // Written digit by digit: date::format() goes through an ostringstream, which cost more
    // than the rest of storing an event. The years parse_rfc3339() reads (1678-2261) take
    // this path; others keep the library's form.
    const auto day = std::chrono::floor<date::days>(t);
    const date::year_month_day ymd(day);
    const int year = static_cast<int>(ymd.year());
    if (year < 1000 || year > 9999) return date::format("%FT%TZ", t);
    const auto micros = (t - day).count();  // within the day
    char text[] = "0000-00-00T00:00:00.000000Z";
    const auto put = [&](std::size_t at, std::size_t width, long long value) {
        for (std::size_t i = at + width; i > at; --i, value /= 10) text[i - 1] = static_cast<char>('0' + value % 10);
    };
    put(0, 4, year);
    put(5, 2, static_cast<unsigned>(ymd.month()));
    put(8, 2, static_cast<unsigned>(ymd.day()));
    put(11, 2, micros / 3'600'000'000LL);
    put(14, 2, micros / 60'000'000LL % 60);
    put(17, 2, micros / 1'000'000LL % 60);
    put(20, 6, micros % 1'000'000LL);
    return std::string(text, sizeof text - 1);
}

namespace {

// The form format_rfc3339() writes, "YYYY-MM-DDThh:mm:ss.ffffffZ", read without a stream:
// every stored event's time is in it, and the stream-based parse costs microseconds. Anything
// else, or a field out of range, returns nothing and takes the general path (which also
// gives the errors).
std::optional<Timestamp> parse_canonical(std::string_view text) {
    if (text.size() != 27 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != '.' || text[26] != 'Z') {
        return std::nullopt;
    }
    const auto field = [&](std::size_t at, std::size_t count) -> std::optional<int> {
        int value = 0;
        const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + count, value);
        if (ec != std::errc() || end != text.data() + at + count) return std::nullopt;
        for (std::size_t i = at; i < at + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;  // from_chars takes a '-'
        }
        return value;
    };
    const auto year = field(0, 4), month = field(5, 2), day = field(8, 2);
    const auto hour = field(11, 2), minute = field(14, 2), second = field(17, 2), micros = field(20, 6);
    if (!year || !month || !day || !hour || !minute || !second || !micros) return std::nullopt;
    if (*year < 1678 || *year > 2261 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
    const date::year_month_day ymd{date::year(*year), date::month(static_cast<unsigned>(*month)),
                                   date::day(static_cast<unsigned>(*day))};
    if (!ymd.ok()) return std::nullopt;
    return Timestamp(date::sys_days(ymd)) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second) + std::chrono::microseconds(*micros);
}

}  // namespace

Timestamp parse_rfc3339(std::string_view text) {
    if (const auto canonical = parse_canonical(text)) return *canonical;
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
    // The whole shape is checked here too: the date library's parser misreads some
    // malformed fields (a '[' among the minutes gave a NaN second) instead of failing.
    const auto digits = [&](std::size_t from, std::size_t count) {
        for (std::size_t i = from; i < from + count; ++i) {
            if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
        }
        return true;
    };
    if (!digits(0, 4) || !digits(5, 2) || !digits(8, 2) || !digits(11, 2) || !digits(14, 2) || !digits(17, 2)) {
        throw fail();
    }
    std::size_t zone = 19;
    if (zone < text.size() && text[zone] == '.') {
        ++zone;
        while (zone < text.size() && text[zone] >= '0' && text[zone] <= '9') ++zone;
        if (zone == 20) throw fail();
    }
    const auto rest = text.substr(zone);
    const bool zone_ok = rest == "Z" || rest == "z" ||
                         (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && digits(zone + 1, 2) && rest[3] == ':' &&
                          digits(zone + 4, 2));
    if (!zone_ok) throw fail();
    // Parsed with nanosecond precision (to accept 9 fractional digits), whose 64-bit range
    // spans 1677-09-21 to 2262-04-11: other years are refused rather than overflowing.
    const std::string year(text.substr(0, 4));
    if (year.find_first_not_of("0123456789") != std::string::npos || year < "1678" || year > "2261") {
        throw ValidationError("invalid time " + quote_text(text) + ": the year must be between 1678 and 2261");
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

ZonedTime parse_zoned(std::string_view text) {
    const Timestamp instant = parse_rfc3339(text);  // checks the whole shape
    const char sign = text[text.size() - 6];
    if (sign != '+' && sign != '-') return {instant, std::chrono::minutes(0)};
    const auto number = [&](std::size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
    const std::chrono::minutes offset(number(text.size() - 5) * 60 + number(text.size() - 2));
    return {instant, sign == '-' ? -offset : offset};
}

std::string format_iso_offset(const ZonedTime& t) {
    if (date::abs(t.offset) >= std::chrono::hours(24)) {
        throw ValidationError("invalid UTC offset of " + std::to_string(t.offset.count()) +
                              " minutes: it must be less than a day");
    }
    const auto local = t.instant + t.offset;
    const bool whole = local == std::chrono::floor<std::chrono::seconds>(local);
    std::string text = whole ? date::format("%FT%T", std::chrono::floor<std::chrono::seconds>(local))
                             : date::format("%FT%T", local);
    const auto minutes = date::abs(t.offset).count();
    char zone[8];
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", t.offset < std::chrono::minutes(0) ? '-' : '+',
                  static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
    return text + zone;
}

#pragma GCC diagnostic pop

}  // namespace notify::core
