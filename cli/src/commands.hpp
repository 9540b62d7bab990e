// The command groups of the notify tool; one file each (internal).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "context.hpp"
#include "listener_format.hpp"

namespace notify::cli {

// What runs once parsing chose a command; returns the exit code. Throwing
// notify::ValidationError, ConfigError or NotFound means exit 2, anything else exit 1.
using Action = std::function<int()>;

// Each adds its subcommands to `app`; the chosen one stores its work in `action`.
void add_listener_commands(CLI::App& app, Context& context, Action& action);
void add_event_commands(CLI::App& app, Context& context, Action& action);
void add_delivery_commands(CLI::App& app, Context& context, Action& action);
void add_listen_command(CLI::App& app, Context& context, Action& action);
void add_serve_command(CLI::App& app, Context& context, Action& action);
void add_config_commands(CLI::App& app, Context& context, Action& action);
void add_plugins_command(CLI::App& app, Context& context, Action& action);
void add_stats_command(CLI::App& app, Context& context, Action& action);
void add_store_commands(CLI::App& app, Context& context, Action& action);
// `listener explain ID --event JSON`, under the `listener` group.
void add_listener_explain_command(CLI::App& listener, Context& context, Action& action);
// `listener show` and `listener test`, under the `listener` group; `as_json` is a
// listener's JSON form as `listener list --json` gives it.
void add_listener_check_commands(CLI::App& listener, Context& context, Action& action, const DefaultsOf& defaults,
                                 const std::function<nlohmann::json(const core::Listener&)>& as_json);

}  // namespace notify::cli
