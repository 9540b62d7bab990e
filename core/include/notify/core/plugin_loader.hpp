// PluginLoader: handler plugins (shared libraries) found in folders and registered.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "notify/core/handler_registry.hpp"
#include "notify/core/plugin_abi.h"

namespace notify::core {

struct LoadedPlugin {
    std::string name;
    std::string version;
    std::filesystem::path path;  // empty for a plugin linked into the program
    std::vector<std::string> kinds;
};

struct SkippedPlugin {
    std::filesystem::path path;
    std::string reason;  // one line: "not a notify plugin (no notify_plugin_entry)", ...
};

// Loads plugins into a registry. Not synchronised: load everything from one thread, then
// share the registry. Libraries stay loaded for the life of the process (their factories
// and handlers live in them), so each file is loaded once per process. Nothing it does
// throws for a bad plugin: a file that is not a plugin, was built for another notify (ABI
// version or build key), cannot be loaded (a missing symbol), fails to create its factories,
// brings a kind already registered, or that (or its folder) the group or others may write
// is skipped, with the reason in skipped() and one
// warning line on `log`.
class PluginLoader {
public:
    explicit PluginLoader(HandlerRegistry& registry, LogFunction log = log_to_stderr);

    // Every "*.so" file in `folder`, in name order. A missing folder is skipped silently
    // when `must_exist` is false, else recorded as skipped.
    void load_folder(const std::filesystem::path& folder, bool must_exist = true);
    // One file; false when skipped.
    bool load_file(const std::filesystem::path& file);
    // A plugin linked into the program (static builds): `entry` is its notify_plugin_entry.
    bool add_linked(notify_plugin_entry_function entry);

    const std::vector<LoadedPlugin>& loaded() const noexcept { return loaded_; }
    const std::vector<SkippedPlugin>& skipped() const noexcept { return skipped_; }

private:
    bool add(const notify_plugin_info* info, const std::filesystem::path& path);
    bool skip(const std::filesystem::path& path, std::string reason);

    HandlerRegistry& registry_;
    LogFunction log_;
    std::vector<LoadedPlugin> loaded_;
    std::vector<SkippedPlugin> skipped_;
};

// The build key of this notify (see notify/core/plugin.hpp).
const char* plugin_build_key() noexcept;

// The installed plugin folder: notify/plugins next to the notify_core library in use
// (<libdir>/notify/plugins). Empty when notify_core is linked statically into the program.
std::filesystem::path installed_plugin_folder();

}  // namespace notify::core
