// Showing listeners to people (internal).
#pragma once

#include <ostream>
#include <vector>

#include "notify/core/listener.hpp"

namespace notify::cli {

// One listener, a "key: value" line per field, secrets masked.
void print_listener(std::ostream& out, const core::Listener& listener);
// A table, one listener per line, secrets masked.
void print_listener_table(std::ostream& out, const std::vector<core::Listener>& listeners,
                          const std::vector<std::string>& kinds);

}  // namespace notify::cli
