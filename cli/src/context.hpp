// What every notify command shares: global options, settings, the handlers, output (internal).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "notify/config/settings.hpp"
#include "notify/core/catalogue.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/notifier.hpp"
#include "notify/core/plugin_loader.hpp"

namespace notify::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // runtime failure: a server, the store, a timeout
inline constexpr int exit_usage = 2;    // usage or validation error

// How long a command that waited for outcomes (--wait) lets its handlers close before it
// ends what is still under way; with plugin loading, --wait N returns within N + 1 s.
inline constexpr std::chrono::milliseconds wait_close_grace{400};

// A runtime failure a command reports (exit 1); its message is one line.
class CommandFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Not thread-safe: one per command run, used from the thread that runs it.
class Context {
public:
    Context(std::ostream& out, std::ostream& err) : out(out), err(err) {}

    // When the command started: time limits (--wait) count from here, plugin loading included.
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::string config_file;  // --config
    bool json = false;        // --json
    std::ostream& out;
    std::ostream& err;

    // server.conf (--config, $NOTIFY_CONFIG or /etc/notify/server.conf) and the
    // environment, loaded on first use. Throws notify::ConfigError.
    const config::Settings& settings();
    // Loads them afresh (for a reload), without replacing the ones in use. Throws
    // notify::ConfigError.
    config::Settings load_settings();
    // Replaces the settings in use.
    void use_settings(config::Settings settings);
    // Runs every handler's own check of its section of `settings`. Throws
    // notify::ConfigError naming the handler and the file.
    void check_sections(const config::Settings& settings);
    // The section `name` as typed JSON, for handler factories.
    nlohmann::json section(std::string_view name);
    // The handlers of every plugin loaded, on first use: those linked into the program, then
    // the installed plugin folder, then the folders of [plugins] path (NOTIFY_PLUGINS__PATH).
    std::shared_ptr<const core::HandlerRegistry> handlers();
    // What was loaded and skipped.
    const core::PluginLoader& plugins();
    // notify's sections and those of the loaded handlers.
    const config::Schema& schema();
    // The well-known event types and those of [events] catalogue (relative to server.conf's
    // folder). Throws notify::ConfigError for a catalogue file that cannot be used.
    core::EventCatalogue catalogue();
    // A Notifier on the configured store; `dispatch` = deliver from this process, for the
    // listeners `only` names (every listener when empty). Its log goes to `log`, by default log().
    // `tune` may change the options last (outcome hooks).
    std::unique_ptr<core::Notifier> notifier(bool dispatch, core::LogFunction log = {},
                                             std::vector<std::string> only = {},
                                             const std::function<void(core::NotifierOptions&)>& tune = {});
    // The listeners of the configured store ([store] url, else path). Its log goes to `log`,
    // by default log(). Throws notify::StoreError or notify::ValidationError.
    core::ListenerStore listener_store(core::LogFunction log = {});
    // Messages from `lowest` up to stderr as "notify: <level>: <message>", one whole line at
    // a time from any thread, control characters escaped (a server's reply cannot forge a
    // line or move the cursor).
    core::LogFunction log(core::LogLevel lowest = core::LogLevel::warning) const;

    void warn(const std::string& message) const;
    // True when stderr is a terminal and output is for people: progress may be shown.
    bool interactive() const;
    // Writes `document` as the one JSON document of this command.
    void print_json(const nlohmann::json& document) const;

private:
    std::optional<config::Settings> settings_;
    std::shared_ptr<core::HandlerRegistry> handlers_;
    std::optional<core::PluginLoader> plugins_;
    std::optional<config::Schema> schema_;
};

}  // namespace notify::cli
