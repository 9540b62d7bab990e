// A host that loads the installed plugins besides its own handlers (docs/plugins.md).
#include <notify/config/loader.hpp>
#include <notify/core/plugin_loader.hpp>

notify::config::Settings load_with_plugins(notify::core::HandlerRegistry& handlers) {
    notify::core::PluginLoader plugins(handlers);  // skipped files are logged to stderr
    plugins.load_folder(notify::core::installed_plugin_folder());
    const auto env = notify::config::Environment::from_process();
    return notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                notify::config::Schema::for_handlers(handlers));
}
