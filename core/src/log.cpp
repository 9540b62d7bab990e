// Log levels and the stderr logger.
#include "notify/core/log.hpp"

#include <cstdio>
#include <mutex>

namespace notify::core {

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "?";
}

void log_to_stderr(LogLevel level, std::string_view message) {
    if (level < LogLevel::warning) return;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "notify: %s: %.*s\n", to_string(level).data(), static_cast<int>(message.size()),
                 message.data());
}

}  // namespace notify::core
