// notify event fire --from FILE|-: events as JSON lines, stored in batches (internal).
#pragma once

#include <string>

#include "context.hpp"

namespace notify::cli {

// Reads every line of `from` ("-" = standard input) as an event's JSON form (blank lines
// and lines starting with '#' skipped), checks them all, then stores them for the
// matching listeners in batches of `batch_size` events, one commit each. A line that is
// not an event is a ValidationError "FILE:LINE: ..." and nothing is stored.
int fire_from(Context& context, const std::string& from);

// Events per commit for --from.
inline constexpr std::size_t fire_batch_size = 10000;

}  // namespace notify::cli
