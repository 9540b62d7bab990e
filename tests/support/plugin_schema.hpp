// The server.conf schema of the notify tool in this build: notify's sections and those of
// the plugins in the build's plugin folder, loaded as the tool loads them.
#pragma once

#include <catch2/catch.hpp>

#include "notify/config/loader.hpp"
#include "notify/core/plugin_loader.hpp"

namespace notify::test {

inline const config::Schema& plugin_schema() {
    static core::HandlerRegistry registry;
    static const config::Schema schema = [] {
        core::PluginLoader loader(registry);
        loader.load_folder(core::installed_plugin_folder());
        REQUIRE(loader.skipped().empty());
        return config::Schema::for_handlers(registry);
    }();
    return schema;
}

inline config::Settings parse_with_plugins(std::string_view text, std::string_view file, const config::Environment& env) {
    return config::parse(text, file, env, plugin_schema());
}

inline config::Settings load_with_plugins(const std::optional<std::filesystem::path>& file,
                                          const config::Environment& env) {
    return config::load(file, env, plugin_schema());
}

}  // namespace notify::test
