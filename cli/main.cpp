// The notify command-line tool. Listener management arrives with the CLI issue; for now it
// reports its version and checks a configuration.
#include <iostream>

#include <CLI/CLI.hpp>

#include "notify/config/loader.hpp"
#include "notify/core/error.hpp"

int main(int argc, char** argv) {
    CLI::App app{"notify: event notifications to AMQP brokers, mail and webhooks", "notify"};
    app.set_version_flag("--version", std::string("notify ") + NOTIFY_VERSION);
    std::string config_file;
    app.add_option("--config", config_file, "server.conf to use (default: $NOTIFY_CONFIG, then /etc/notify/server.conf)");
    auto* check = app.add_subcommand("check-config", "Load server.conf and the environment, print the effective settings (secrets masked)");
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end parsing "successfully"; every other parse error is a
        // usage error, exit 2.
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    if (check->parsed()) {
        try {
            std::optional<std::filesystem::path> path;
            if (!config_file.empty()) path = config_file;
            const auto env = notify::config::Environment::from_process();
            const auto settings = notify::config::load(notify::config::resolve_config_path(path, env), env);
            std::cout << settings.to_masked_json().dump(2) << '\n';
        } catch (const notify::Error& e) {
            std::cerr << "notify: " << e.what() << '\n';
            return 2;
        }
        return 0;
    }
    std::cout << app.help();
    return 0;
}
