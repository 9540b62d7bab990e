// Log levels and the log callback a host passes to notify.
#pragma once

#include <functional>
#include <string_view>

namespace notify::core {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level) noexcept;

// Called from notify's own threads; must be thread-safe and must not throw.
using LogFunction = std::function<void(LogLevel level, std::string_view message)>;

// Writes warnings and errors to stderr, one line each: the default when a host gives none.
void log_to_stderr(LogLevel level, std::string_view message);

}  // namespace notify::core
