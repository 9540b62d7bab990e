// Loading server.conf: which file, parsing, environment overrides.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/config/schema.hpp"
#include "notify/config/settings.hpp"

namespace notify::config {

inline constexpr std::string_view default_config_path = "/etc/notify/server.conf";

// A snapshot of environment variables (tests pass their own).
struct Environment {
    std::map<std::string, std::string, std::less<>> vars;

    static Environment from_process();
    const std::string* get(std::string_view name) const;
};

// The file to read: `explicit_path` (--config), else $NOTIFY_CONFIG, else `default_path`.
// Throws notify::ConfigError when a file named by --config or NOTIFY_CONFIG does not exist;
// returns nullopt when only the default is missing, meaning built-in defaults.
std::optional<std::filesystem::path> resolve_config_path(
    const std::optional<std::filesystem::path>& explicit_path, const Environment& env,
    const std::filesystem::path& default_path = default_config_path);

// Reads `file` (none: defaults only), applies NOTIFY_<SECTION>__<KEY> overrides and checks
// everything against `schema`. Throws notify::ConfigError with one line naming file:line
// (or the environment variable) and the key; unknown names get a "did you mean" hint.
Settings load(const std::optional<std::filesystem::path>& file, const Environment& env,
              const Schema& schema = Schema::builtin());

// The same for text already in memory; `file_name` is used in messages.
Settings parse(std::string_view text, std::string_view file_name, const Environment& env,
               const Schema& schema = Schema::builtin());

// The plugin folders [plugins] path names in `file` (relative ones resolved against the
// file's folder) or NOTIFY_PLUGINS__PATH (against the working directory), read before the
// rest of the file can be checked (the plugins bring their sections). Never throws for a
// file load() would refuse: load() names the problem.
std::vector<std::filesystem::path> plugin_folders(const std::optional<std::filesystem::path>& file,
                                                  const Environment& env);

}  // namespace notify::config
