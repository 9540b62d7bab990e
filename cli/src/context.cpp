// Settings, handlers and output shared by the commands.
#include "context.hpp"

#include <unistd.h>

#include <iostream>
#include <mutex>

#include "notify/config/loader.hpp"
#include "notify/config/notifier_options.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "notify/handlers/email/email.hpp"
#include "notify/handlers/http/http.hpp"

namespace notify::cli {

const config::Settings& Context::settings() {
    if (!settings_) {
        std::optional<std::filesystem::path> path;
        if (!config_file.empty()) path = config_file;
        const auto env = config::Environment::from_process();
        settings_.emplace(config::load(config::resolve_config_path(path, env), env));
    }
    return *settings_;
}

nlohmann::json Context::section(std::string_view name) { return settings().section(name).to_json(); }

std::shared_ptr<const core::HandlerRegistry> Context::handlers() {
    if (!handlers_) {
        handlers_ = std::make_shared<core::HandlerRegistry>();
        handlers::amqp::register_handler(*handlers_);
        handlers::email::register_handler(*handlers_);
        handlers::http::register_handler(*handlers_);
    }
    return handlers_;
}

std::unique_ptr<core::Notifier> Context::notifier(bool dispatch) {
    auto options = config::notifier_options(settings(), handlers());
    options.dispatch = dispatch;
    // Called from delivery threads: one line at a time.
    auto mutex = std::make_shared<std::mutex>();
    std::ostream* stream = &err;
    options.log = [stream, mutex](core::LogLevel level, std::string_view message) {
        if (level < core::LogLevel::warning) return;
        std::lock_guard lock(*mutex);
        *stream << "notify: " << core::to_string(level) << ": " << message << std::endl;
    };
    return std::make_unique<core::Notifier>(std::move(options));
}

void Context::warn(const std::string& message) const { err << "notify: warning: " << message << '\n'; }

bool Context::interactive() const { return !json && &err == &std::cerr && isatty(STDERR_FILENO) == 1; }

void Context::print_json(const nlohmann::json& document) const {
    out << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace notify::cli
