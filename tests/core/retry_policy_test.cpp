// Backoff with equal jitter, retry-after, and the limits that end retrying.
#include <catch2/catch.hpp>

#include "notify/core/retry_policy.hpp"

using notify::core::RetryPolicy;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles from the initial delay up to the cap, with equal jitter", "[retry]") {
    RetryPolicy p;
    p.backoff_initial = 1s;
    p.backoff_max = 60s;
    CHECK(p.delay(1, 0.0) == 500ms);
    CHECK(p.delay(1, 1.0) == 1000ms);
    CHECK(p.delay(2, 1.0) == 2000ms);
    CHECK(p.delay(3, 0.5) == 3000ms);  // 4 s full, jitter half way between 2 and 4
    CHECK(p.delay(7, 1.0) == 60s);     // 64 s capped
    CHECK(p.delay(1000, 0.0) == 30s);  // huge attempt counts do not overflow
    for (int attempt = 1; attempt < 12; ++attempt) {
        for (double u : {0.0, 0.3, 0.99}) {
            const auto d = p.delay(attempt, u);
            CHECK(d >= 500ms);
            CHECK(d <= 60s);
        }
    }
}

TEST_CASE("a server's retry-after wins within bounds", "[retry]") {
    RetryPolicy p;
    p.backoff_initial = 2s;
    CHECK(p.delay(1, 0.5, 30s) == 30s);
    CHECK(p.delay(1, 0.5, 0ms) == 2s);
    CHECK(p.delay(1, 0.5, std::chrono::hours(48)) == std::chrono::hours(24));
}

TEST_CASE("retrying ends by attempts or by age", "[retry]") {
    RetryPolicy p;
    p.max_attempts = 3;
    p.max_age = 1h;
    CHECK_FALSE(p.give_up(2, 10s, 1s).has_value());
    REQUIRE(p.give_up(3, 10s, 1s).has_value());
    CHECK(*p.give_up(3, 10s, 1s) == "gave up after 3 attempts");
    REQUIRE(p.give_up(1, 59min, 2min).has_value());
    CHECK_THAT(*p.give_up(1, 59min, 2min), Catch::Contains("beyond max_age 3600 s"));
    p.max_attempts = 0;
    p.max_age = 0ms;
    CHECK_FALSE(p.give_up(1000000, std::chrono::hours(10000), 1h).has_value());
}
