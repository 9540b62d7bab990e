// RFC 3339 formatting and parsing.
#include <catch2/catch.hpp>

#include <vector>

// The reference formatter (see core/src/timestamp.cpp for the warning it needs muted).
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>
#pragma GCC diagnostic pop

#include "notify/core/error.hpp"
#include "notify/core/timestamp.hpp"

using namespace notify::core;
using namespace std::chrono;

namespace {
Timestamp at(int y, unsigned mo, unsigned d, int h, int mi, int s, int us) {
    return Timestamp(sys_days(year(y) / month(mo) / day(d)).time_since_epoch() + hours(h) +
                     minutes(mi) + seconds(s) + microseconds(us));
}
}  // namespace

TEST_CASE("timestamps format as UTC RFC 3339 with six fractional digits", "[timestamp]") {
    CHECK(format_rfc3339(at(2026, 11, 23, 18, 12, 0, 123456)) == "2026-11-23T18:12:00.123456Z");
    CHECK(format_rfc3339(at(1999, 1, 2, 3, 4, 5, 0)) == "1999-01-02T03:04:05.000000Z");
}

TEST_CASE("RFC 3339 text parses to UTC", "[timestamp]") {
    const Timestamp expected = at(2026, 11, 23, 18, 12, 0, 123456);
    CHECK(parse_rfc3339("2026-11-23T18:12:00.123456Z") == expected);
    CHECK(parse_rfc3339("2026-11-23t18:12:00.123456z") == expected);
    CHECK(parse_rfc3339("2026-11-23T19:12:00.123456+01:00") == expected);
    CHECK(parse_rfc3339("2026-11-23T13:42:00.123456-04:30") == expected);
    CHECK(parse_rfc3339("2026-11-23T18:12:00.123456789Z") == expected);  // beyond µs: truncated
    CHECK(parse_rfc3339("2026-11-23T18:12:00Z") == at(2026, 11, 23, 18, 12, 0, 0));
    CHECK(parse_rfc3339("2026-11-23T18:12:00.5Z") == at(2026, 11, 23, 18, 12, 0, 500000));
}

TEST_CASE("round trip keeps microseconds", "[timestamp]") {
    const Timestamp t = now();
    CHECK(parse_rfc3339(format_rfc3339(t)) == t);
}

TEST_CASE("non-RFC 3339 text is rejected with the text in the message", "[timestamp]") {
    const char* bad[] = {
        "",
        "2026-11-23",
        "2026-11-23 18:12:00Z",
        "2026-11-23T18:12:00",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-23T25:00:00Z",
        "2026-11-23T18:12:00Zjunk",
        "2026-11-23T18:12:00+0100",
        "2026-11-23T18:12:00.1234567890Z",
        "tomorrow at noon",
        "26-11-23T18:12:00Z",
    };
    for (const char* text : bad) {
        INFO(text);
        try {
            parse_rfc3339(text);
            FAIL("accepted");
        } catch (const notify::ValidationError& e) {
            CHECK_THAT(e.what(), Catch::Contains("invalid time '" + std::string(text)));
            CHECK_THAT(e.what(), Catch::Contains("RFC 3339"));
        }
    }
}

// Found by tests/fuzz (event_fuzz): year 4052 overflowed the nanosecond parse (UBSan).
TEST_CASE("years outside what the parser can hold are refused, not overflowed", "[timestamp]") {
    CHECK(format_rfc3339(parse_rfc3339("2261-12-31T23:59:59Z")) == "2261-12-31T23:59:59.000000Z");
    CHECK(format_rfc3339(parse_rfc3339("1678-01-01T00:00:00Z")) == "1678-01-01T00:00:00.000000Z");
    for (const char* text : {"4052-11-24T09:00:00Z", "2262-05-01T00:00:00Z", "1677-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                             "0000-01-01T00:00:00Z"}) {
        INFO(text);
        CHECK_THROWS_WITH(parse_rfc3339(text), Catch::Contains("the year must be between 1678 and 2261"));
    }
}

// Found by tests/fuzz (event_fuzz): a '[' among the minutes made the date library's parser
// produce a NaN second (UBSan) instead of failing.
TEST_CASE("malformed fields are refused before the date library sees them", "[timestamp]") {
    for (const char* text : {"2026-11-24T09:0[:00.5+01:00", "2026-11-24T09:00:0 Z", "2026-1a-24T09:00:00Z",
                             "2026-11-24T09:00:00.Z", "2026-11-24T09:00:00+1:00", "2026-11-24T09:00:00+01:0x"}) {
        INFO(text);
        CHECK_THROWS_WITH(parse_rfc3339(text), Catch::Contains("RFC 3339"));
    }
    CHECK(format_rfc3339(parse_rfc3339("2026-11-24T09:00:00.5+01:00")) == "2026-11-24T08:00:00.500000Z");
}

// format_rfc3339()'s own form is read without the date library's stream parser; it must agree
// with it on every value and refuse what the general path refuses.
TEST_CASE("the stored form reads back exactly and its out-of-range fields are refused", "[timestamp]") {
    CHECK(parse_rfc3339("2024-02-29T23:59:59.999999Z") == at(2024, 2, 29, 23, 59, 59, 999999));
    CHECK(parse_rfc3339("1678-01-01T00:00:00.000000Z") == at(1678, 1, 1, 0, 0, 0, 0));
    CHECK(parse_rfc3339("2261-12-31T23:59:59.999999Z") == at(2261, 12, 31, 23, 59, 59, 999999));
    CHECK(parse_rfc3339("1969-12-31T23:59:59.000001Z") == at(1969, 12, 31, 23, 59, 59, 1));
    // Spread over the whole range, seconds and microseconds included.
    const auto first = at(1678, 1, 1, 0, 0, 0, 0).time_since_epoch().count();
    const auto last = at(2261, 12, 31, 23, 59, 59, 999999).time_since_epoch().count();
    for (int i = 0; i <= 1000; ++i) {
        const Timestamp t{microseconds(first + (last - first - 10000000) / 1000 * i + i * 7919)};
        INFO(format_rfc3339(t));
        CHECK(parse_rfc3339(format_rfc3339(t)) == t);
    }
    for (const char* text : {"2026-02-29T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-00-01T00:00:00.000000Z",
                             "2026-04-31T00:00:00.000000Z", "2026-11-00T00:00:00.000000Z", "2026-11-23T24:00:00.000000Z",
                             "2026-11-23T18:60:00.000000Z", "2026-11-23T18:12:00.12345xZ", "2026-11-23T18:12:00.-12345Z",
                             "2026-11-23T18:-1:00.000000Z", "2026-11-23T18:12:00.000000+"}) {
        INFO(text);
        CHECK_THROWS_WITH(parse_rfc3339(text), Catch::Contains("RFC 3339"));
    }
    CHECK_THROWS_WITH(parse_rfc3339("1677-12-31T23:59:59.999999Z"), Catch::Contains("between 1678 and 2261"));
}

// format_rfc3339() writes its digits itself; the date library's form is the reference.
TEST_CASE("timestamps format exactly as the date library writes them, over the whole range", "[timestamp]") {
    const auto first = at(1000, 1, 1, 0, 0, 0, 0).time_since_epoch().count();
    const auto last = at(9999, 12, 31, 23, 59, 59, 999999).time_since_epoch().count();
    std::vector<Timestamp> samples{at(1000, 1, 1, 0, 0, 0, 0), at(9999, 12, 31, 23, 59, 59, 999999),
                                   at(1969, 12, 31, 23, 59, 59, 999999), at(1970, 1, 1, 0, 0, 0, 0),
                                   at(2024, 2, 29, 12, 0, 0, 1), at(999, 12, 31, 23, 59, 59, 0),
                                   at(10000, 1, 1, 0, 0, 0, 0)};
    for (int i = 0; i <= 2000; ++i) samples.push_back(Timestamp{microseconds(first + (last - first) / 2000 * i + i * 104729)});
    for (const auto t : samples) {
        INFO(t.time_since_epoch().count());
        CHECK(format_rfc3339(t) == date::format("%FT%TZ", t));
    }
}
