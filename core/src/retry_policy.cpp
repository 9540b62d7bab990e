// Exponential backoff with equal jitter, and the limits that end retrying.
#include "notify/core/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace notify::core {

std::chrono::milliseconds RetryPolicy::delay(int failed_attempts, double unit_random,
                                             std::optional<std::chrono::milliseconds> retry_after) const {
    using std::chrono::milliseconds;
    if (retry_after) {
        return std::clamp(*retry_after, backoff_initial, milliseconds(std::chrono::hours(24)));
    }
    const int doublings = std::clamp(failed_attempts - 1, 0, 40);
    const double full = std::min(static_cast<double>(backoff_initial.count()) * std::ldexp(1.0, doublings),
                                 static_cast<double>(backoff_max.count()));
    const double jittered = full / 2 + full / 2 * std::clamp(unit_random, 0.0, 1.0);
    return milliseconds(static_cast<milliseconds::rep>(jittered));
}

std::optional<std::string> RetryPolicy::give_up(int failed_attempts, std::chrono::milliseconds age,
                                                std::chrono::milliseconds next_delay) const {
    if (max_attempts > 0 && failed_attempts >= max_attempts) {
        return "gave up after " + std::to_string(failed_attempts) + " attempts";
    }
    if (max_age.count() > 0 && age + next_delay > max_age) {
        return "gave up: the next attempt would be " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age + next_delay).count()) +
               " s after the event, beyond max_age " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_age).count()) + " s";
    }
    return std::nullopt;
}

}  // namespace notify::core
