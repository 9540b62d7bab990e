// server.conf schemas for tests that use one handler directly, without loading plugins.
#pragma once

#include <memory>

#include "notify/config/schema.hpp"
#include "notify/core/handler.hpp"

namespace notify::test {

// notify's own sections and the section of the handler `factory` makes.
inline config::Schema schema_with(const std::unique_ptr<core::HandlerFactory>& factory) {
    auto schema = config::Schema::builtin();
    schema.add_section(factory->section_spec());
    return schema;
}

}  // namespace notify::test
