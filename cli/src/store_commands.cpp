// notify store check and notify store migrate: what a store holds, and moving it.
#include "commands.hpp"
#include "notify/core/error.hpp"
#include "notify/core/store_admin.hpp"

namespace notify::cli {

namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count() / 1000) + "." + std::to_string(ms.count() % 1000 / 100) + "s";
}

void print_report(std::ostream& out, const core::StoreReport& r) {
    out << "store:       " << r.location << " (" << r.engine << ")\n";
    for (const auto& [name, value] : r.facts) out << (name + ":").append(12 - std::min<std::size_t>(11, name.size()), ' ') << value << '\n';
    out << "schema:      ";
    if (!r.exists) {
        out << "none\n";
    } else {
        out << r.version << (r.version == r.current_version ? " (current)"
                             : r.version < r.current_version
                                 ? " (this notify migrates it to " + std::to_string(r.current_version) + " at the next start)"
                                 : " (newer than this notify's " + std::to_string(r.current_version) + ")")
            << '\n';
    }
    if (r.exists && r.version == r.current_version && r.problems.empty()) {
        out << "listeners:   " << r.listeners << '\n';
        out << "deliveries:  " << r.pending << " pending, " << r.in_flight << " in flight, " << r.dead << " dead\n";
        out << "processes:   " << r.processes.size() << (r.processes.empty() ? "\n" : "; last heartbeat:\n");
        for (const auto& p : r.processes) {
            out << "  " << p.id << "  " << p.host << " pid " << p.pid << ", " << seconds_text(p.silent_for) << " ago\n";
        }
    }
    for (const auto& p : r.problems) out << "problem:     " << p << '\n';
}

nlohmann::json report_json(const core::StoreReport& r) {
    nlohmann::json facts = nlohmann::json::object();
    for (const auto& [name, value] : r.facts) facts[name] = value;
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& p : r.processes) {
        processes.push_back({{"id", p.id}, {"host", p.host}, {"pid", p.pid},
                             {"silent_seconds", static_cast<double>(p.silent_for.count()) / 1000.0}});
    }
    return {{"store", r.location},       {"engine", r.engine},       {"exists", r.exists},
            {"schema_version", r.version}, {"current_version", r.current_version}, {"facts", facts},
            {"listeners", r.listeners},  {"pending", r.pending},     {"in_flight", r.in_flight},
            {"dead", r.dead},            {"processes", processes},   {"problems", r.problems}};
}

}  // namespace

void add_store_commands(CLI::App& app, Context& context, Action& action) {
    auto* store = app.add_subcommand("store", "Look into the store, or move it to another");
    store->require_subcommand(1);

    auto* check = store->add_subcommand(
        "check", "What the configured store holds and whether this notify can use it (exit 1 if not); changes nothing");
    check->callback([&context, &action] {
        action = [&context] {
            const auto report = core::check_store(context.settings().store().location());
            if (context.json) {
                context.print_json(report_json(report));
            } else {
                print_report(context.out, report);
            }
            return report.problems.empty() ? exit_ok : exit_failure;
        };
    });

    struct MigrateArgs {
        std::string to;
        std::string schema = "notify";
        bool force = false;
    };
    auto args = std::make_shared<MigrateArgs>();
    auto* migrate = store->add_subcommand(
        "migrate", "Copy listeners, pending deliveries and counters from the configured store to another "
                   "(idempotent: run it again to resume or to catch up); the configured store is not changed");
    migrate->add_option("--to", args->to,
                        "The destination: postgresql://user@host:port/database (password from the URL, PGPASSWORD or "
                        "~/.pgpass), or an SQLite file")
        ->required();
    migrate->add_option("--schema", args->schema, "The destination's schema, for a PostgreSQL URL")->capture_default_str();
    migrate->add_flag("--force", args->force,
                      "Go on although a process delivered from the configured store in the last two minutes");
    migrate->callback([&context, &action, args] {
        action = [&context, args] {
            core::StoreLocation to;
            if (args->to.find("://") != std::string::npos) {
                to.url = args->to;
                to.schema = args->schema;
            } else {
                to.path = args->to;
            }
            const auto named = [](const char* flag, const std::function<void()>& check) {
                try {
                    check();
                } catch (const ValidationError& e) {
                    throw ValidationError(std::string(flag) + ": " + e.what());
                }
            };
            named("--to", [&] {
                auto engine_only = to;
                engine_only.schema = "notify";
                core::check_store_location(engine_only);
            });
            named("--schema", [&] { core::check_store_location(to); });
            nlohmann::json steps = nlohmann::json::array();
            core::migrate_store(context.settings().store().location(), to, args->force, [&](const std::string& line) {
                if (context.json) {
                    steps.push_back(line);
                } else {
                    context.out << line << '\n' << std::flush;
                }
            });
            if (context.json) context.print_json({{"steps", steps}});
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
