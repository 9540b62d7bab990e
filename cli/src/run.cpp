// Parsing the command line, running the chosen command, mapping errors to exit codes.
#include "notify/cli/run.hpp"

#include <cerrno>
#include <cstring>

#include "commands.hpp"
#include "notify/core/error.hpp"
#ifdef NOTIFY_HAS_POSTGRESQL
#include "notify/store/postgresql.hpp"
#endif

namespace notify::cli {

namespace {

// The --config value, looked for before the commands are built: the plugins it names bring
// commands and options of their own. The parser checks the option itself.
std::string config_option(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") break;
        if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
        if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
    }
    return {};
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
#ifdef NOTIFY_HAS_POSTGRESQL
    store::postgresql::enable();  // [store] url = postgresql://...
#endif
    Context context(out, err);
    context.config_file = config_option(args);
    Action action;
    CLI::App app{"notify: event notifications through pluggable handlers", "notify"};
    app.set_version_flag("--version", std::string("notify ") + NOTIFY_VERSION);
    app.add_option("--config", context.config_file,
                   "server.conf to use (default: $NOTIFY_CONFIG, then /etc/notify/server.conf)");
    app.add_flag("--json", context.json, "Print exactly one JSON document on stdout");
    app.fallthrough();
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "notify: " + std::string(e.what()) + " (see --help)\n";
    });
    add_listener_commands(app, context, action);
    add_event_commands(app, context, action);
    add_listen_command(app, context, action);
    add_delivery_commands(app, context, action);
    add_serve_command(app, context, action);
    add_config_commands(app, context, action);
    add_plugins_command(app, context, action);
    add_stats_command(app, context, action);
    add_store_commands(app, context, action);

    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        // --help and --version end parsing "successfully"; every other parse error is a
        // usage error.
        return app.exit(e, out, err) == 0 ? exit_ok : exit_usage;
    }
    const auto fail = [&](int code, const std::string& message) {
        out.flush();
        std::string line = message;
        for (char& c : line) {
            if (c == '\n' || c == '\r') c = ' ';
        }
        err << "notify: " << line << '\n';
        return code;
    };
    try {
        if (!action) return fail(exit_usage, "a command is required (see --help)");
        errno = 0;
        const int code = action();
        // Output that never arrived (a full disk, /dev/full) is a failure, not a success.
        out.flush();
        if (!out) {
            const int error = errno;
            return fail(exit_failure, std::string("cannot write the output") +
                                          (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
        }
        return code;
    } catch (const ValidationError& e) {
        return fail(exit_usage, e.what());
    } catch (const ConfigError& e) {
        return fail(exit_usage, e.what());
    } catch (const NotFound& e) {
        return fail(exit_usage, e.what());
    } catch (const StoreUnusable& e) {  // the configured file is wrong, like a bad value
        return fail(exit_usage, e.what());
    } catch (const CommandFailed& e) {
        return fail(exit_failure, e.what());
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
}

}  // namespace notify::cli
