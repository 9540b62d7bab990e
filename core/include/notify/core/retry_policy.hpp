// RetryPolicy: when a failed delivery is tried again, and when it is given up.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace notify::core {

// A value; all methods are const and thread-safe.
struct RetryPolicy {
    int max_attempts = 25;                              // 0 = no limit
    std::chrono::milliseconds max_age = std::chrono::hours(24);  // 0 = no limit
    std::chrono::milliseconds backoff_initial = std::chrono::seconds(1);
    std::chrono::milliseconds backoff_max = std::chrono::minutes(5);

    // Delay before attempt `failed_attempts + 1`: backoff_initial * 2^(failed_attempts - 1),
    // capped at backoff_max, then "equal jitter": uniformly in [delay / 2, delay], using
    // `unit_random` in [0, 1). A server's own retry-after wins, kept within
    // [backoff_initial, 24 h].
    std::chrono::milliseconds delay(int failed_attempts, double unit_random,
                                    std::optional<std::chrono::milliseconds> retry_after = std::nullopt) const;

    // Why a delivery that failed `failed_attempts` times, was created `age` ago and would next
    // be tried after `next_delay` must be given up; nullopt while it may be retried.
    std::optional<std::string> give_up(int failed_attempts, std::chrono::milliseconds age,
                                       std::chrono::milliseconds next_delay) const;
};

}  // namespace notify::core
