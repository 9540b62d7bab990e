// Settings, handlers and output shared by the commands.
#include "context.hpp"

#include <unistd.h>

#include <iostream>
#include <mutex>

#include "notify/config/event_catalogue_file.hpp"
#include "notify/config/loader.hpp"
#include "notify/config/notifier_options.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "linked_plugins.hpp"

namespace notify::cli {

const config::Settings& Context::settings() {
    if (!settings_) settings_.emplace(load_settings());
    return *settings_;
}

config::Settings Context::load_settings() {
    std::optional<std::filesystem::path> path;
    if (!config_file.empty()) path = config_file;
    const auto env = config::Environment::from_process();
    const auto file = config::resolve_config_path(path, env);
    return config::load(file, env, schema());
}

const config::Schema& Context::schema() {
    if (!schema_) schema_.emplace(config::Schema::for_handlers(*handlers()));
    return *schema_;
}

void Context::use_settings(config::Settings settings) { settings_.emplace(std::move(settings)); }

void Context::check_sections(const config::Settings& settings) {
    const auto registry = handlers();
    for (const auto& kind : registry->kinds()) {
        const auto& factory = registry->get(kind);
        try {
            factory.check_section(settings.section(factory.config_section()).to_json());
        } catch (const Error& e) {
            const std::string where = settings.file() ? settings.file()->string() : "the built-in defaults";
            throw ConfigError(std::string(e.what()) + " (" + where + ", checked by the " + kind + " handler)");
        }
    }
}

core::EventCatalogue Context::catalogue() {
    auto catalogue = core::EventCatalogue::with_well_known();
    const auto& events = settings().section("events");
    std::filesystem::path file = events.string("catalogue");
    if (file.empty()) return catalogue;
    if (file.is_relative() && events.origin("catalogue").rfind("NOTIFY_", 0) != 0 && settings().file()) {
        file = std::filesystem::absolute(*settings().file()).parent_path() / file;
    }
    config::add_event_catalogue_file(catalogue, file);
    return catalogue;
}

nlohmann::json Context::section(std::string_view name) { return settings().section(name).to_json(); }

std::shared_ptr<const core::HandlerRegistry> Context::handlers() {
    if (!handlers_) {
        auto registry = std::make_shared<core::HandlerRegistry>();
        plugins_.emplace(*registry, log());
        for (const auto entry : linked_plugins()) plugins_->add_linked(entry);
        if (const auto folder = core::installed_plugin_folder(); !folder.empty()) plugins_->load_folder(folder, false);
        std::optional<std::filesystem::path> path;
        if (!config_file.empty()) path = config_file;
        const auto env = config::Environment::from_process();
        std::optional<std::filesystem::path> file;
        try {
            file = config::resolve_config_path(path, env);
        } catch (const ConfigError&) {
            // settings() reports it; the configured folders cannot be known.
        }
        for (const auto& folder : config::plugin_folders(file, env)) plugins_->load_folder(folder);
        handlers_ = std::move(registry);
    }
    return handlers_;
}

const core::PluginLoader& Context::plugins() {
    (void)handlers();
    return *plugins_;
}

core::LogFunction Context::log(core::LogLevel lowest) const {
    auto mutex = std::make_shared<std::mutex>();
    std::ostream* stream = &err;
    return [stream, mutex, lowest](core::LogLevel level, std::string_view message) {
        if (level < lowest) return;
        const std::string line = core::escape_controls(message);
        std::lock_guard lock(*mutex);
        *stream << "notify: " << core::to_string(level) << ": " << line << std::endl;
    };
}

core::ListenerStore Context::listener_store(core::LogFunction log) {
    return core::ListenerStore(settings().store().location(), log ? log : this->log());
}

std::unique_ptr<core::Notifier> Context::notifier(bool dispatch, core::LogFunction log_to, std::vector<std::string> only,
                                                  const std::function<void(core::NotifierOptions&)>& tune) {
    auto options = config::notifier_options(settings(), handlers());
    options.dispatch = dispatch;
    options.only_listeners = std::move(only);
    options.log = log_to ? std::move(log_to) : log();
    if (tune) tune(options);
    return std::make_unique<core::Notifier>(std::move(options));
}

void Context::warn(const std::string& message) const { err << "notify: warning: " << message << '\n'; }

bool Context::interactive() const { return !json && &err == &std::cerr && isatty(STDERR_FILENO) == 1; }

void Context::print_json(const nlohmann::json& document) const {
    out << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace notify::cli
