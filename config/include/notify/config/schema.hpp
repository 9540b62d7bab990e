// The server.conf schema: every section and key notify knows, with type, default and help.
// One table drives validation, "did you mean" suggestions, environment names and the docs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "notify/core/handler_registry.hpp"
#include "notify/core/settings_spec.hpp"

namespace notify::config {

// The descriptions are core's: handlers (and plugins) describe their own sections.
using core::KeySpec;
using core::SectionSpec;
using core::ValueType;
using core::to_string;

// Not synchronised: build it before loading and share it as const.
class Schema {
public:
    // notify's own sections: [store], [delivery], [serve], [log], [plugins] and [events].
    static Schema builtin();
    // builtin() and the section of every handler in `handlers`. A section the schema does
    // not know is then reported as belonging to no installed plugin. Throws
    // notify::ConfigError when two handlers describe one section differently.
    static Schema for_handlers(const core::HandlerRegistry& handlers);

    // Adds a section (a plugin's own). Throws notify::ConfigError when the name is taken.
    void add_section(SectionSpec section);

    // The handler kinds for_handlers() was given, sorted; empty for builtin().
    const std::vector<std::string>& handler_kinds() const noexcept { return handler_kinds_; }

    const SectionSpec* find(std::string_view section) const noexcept;
    const std::vector<SectionSpec>& sections() const noexcept { return sections_; }

private:
    std::vector<SectionSpec> sections_;
    std::vector<std::string> handler_kinds_;
};

// NOTIFY_<SECTION>__<KEY>, e.g. NOTIFY_STORE__PATH.
std::string environment_name(std::string_view section, std::string_view key);

}  // namespace notify::config
