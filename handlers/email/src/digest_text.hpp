// The text of a digest mail: a summary line per event type, then the events as a table
// (internal).
#pragma once

#include <string>

#include "notify/core/handler.hpp"

namespace notify::handlers::email {

// "Digest: 37 events (repo.sync.finish 30, repo.publish.finish 7)", at most 200 bytes.
std::string digest_subject(const core::Delivery& digest);

// The body: the window, one line per event type with its count (most first), and one row
// per event (time, type, source, id, then the data, or the transform's output, as compact
// JSON cut at 100 characters). Throws notify::ValidationError when the listener's transform
// fails on one of the events.
std::string digest_body(const core::Delivery& digest);

}  // namespace notify::handlers::email
