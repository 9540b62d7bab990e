// Showing listeners to people (internal).
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "notify/core/listener.hpp"

namespace notify::cli {

// The settings a listener follows from server.conf because it does not set them: (key,
// value) pairs, shown as "key=value (default)".
using DefaultsOf = std::function<std::vector<std::pair<std::string, std::string>>(const core::Listener&)>;

// A duration in its largest whole unit: "90s", "10m", "2h", "1d" ("1500ms" when not whole seconds).
std::string duration_text(std::chrono::milliseconds duration);

// One listener, a "key: value" line per field, secrets masked.
void print_listener(std::ostream& out, const core::Listener& listener, const DefaultsOf& defaults);
// A table, one listener per line, secrets masked.
void print_listener_table(std::ostream& out, const std::vector<core::Listener>& listeners,
                          const std::vector<std::string>& kinds, const DefaultsOf& defaults);

}  // namespace notify::cli
