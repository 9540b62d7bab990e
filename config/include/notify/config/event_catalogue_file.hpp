// The event types hosts register, from the file [events] catalogue names, so the notify
// tool knows them too.
#pragma once

#include <filesystem>

#include "notify/core/catalogue.hpp"

namespace notify::config {

// Adds the types in `file` to `catalogue`. The file is either text, one type per line with
// an optional description after blanks ('#' starts a comment line), or JSON: an array of
// {"type": ..., "description": ...} (what `notify --json event types` prints) or an object
// {"type": "description"}. Throws notify::ConfigError naming file:line (or the JSON
// position) and the problem; nothing is added then.
void add_event_catalogue_file(core::EventCatalogue& catalogue, const std::filesystem::path& file);

}  // namespace notify::config
