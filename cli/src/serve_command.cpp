// notify serve: deliver what is in the store's outbox until asked to stop. SIGTERM, SIGINT
// and SIGQUIT drain and exit; SIGHUP reloads server.conf and the listeners; SIGUSR1 and
// SIGUSR2 log what is pending. With [serve] metrics it answers GET /metrics and /healthz.
// docs/cli.md, "notify serve"; docs/operations.md.
#include <optional>
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "commands.hpp"
#include "http_endpoint.hpp"
#include "service_log.hpp"
#include "service_manager.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "signals.hpp"

namespace notify::cli {

namespace {

using Clock = std::chrono::steady_clock;

// How long a stop may let deliveries under way finish (systemd's default stop timeout is 90 s).
constexpr auto drain_time = std::chrono::seconds(10);
// How often the status line the service manager shows is refreshed.
constexpr auto status_every = std::chrono::milliseconds(5000);

// What the endpoint answers while delivery starts, or restarts after a reload.
const HttpAnswer starting{503, "text/plain; charset=utf-8", "unhealthy: delivery is starting\n"};

// Sections serve reads once, when it starts: a reload notes their changes for the next start.
bool read_at_start(const std::string& section) { return section == "serve" || section == "log"; }

// What serve knows about each listener, to tell what a reload changed.
std::map<std::string, std::string> listener_versions(core::ListenerStore& store) {
    std::map<std::string, std::string> out;
    for (const auto& l : store.list()) out[l.id] = l.kind + " " + core::to_json(l).dump();
    return out;
}

void log_listener_changes(const std::map<std::string, std::string>& before, const std::map<std::string, std::string>& now,
                          const core::LogFunction& log) {
    int changes = 0;
    for (const auto& [id, version] : now) {
        const auto it = before.find(id);
        if (it == before.end()) {
            log(core::LogLevel::info, "reload: listener " + id + " added (" + version.substr(0, version.find(' ')) + ")");
            ++changes;
        } else if (it->second != version) {
            log(core::LogLevel::info, "reload: listener " + id + " changed");
            ++changes;
        }
    }
    for (const auto& [id, version] : before) {
        if (now.count(id) == 0) {
            log(core::LogLevel::info, "reload: listener " + id + " deleted");
            ++changes;
        }
    }
    if (changes == 0) log(core::LogLevel::info, "reload: listeners unchanged (" + std::to_string(now.size()) + ")");
}

// One line per setting that differs, secrets masked, with its section; empty when none does.
std::vector<std::pair<std::string, std::string>> setting_changes(const config::Settings& before,
                                                                 const config::Settings& after) {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto& section : after.sections()) {
        const auto old_values = before.section(section.name()).to_json();
        const auto new_values = section.to_json();
        const auto old_shown = before.section(section.name()).to_masked_json();
        const auto new_shown = section.to_masked_json();
        for (const auto& key : section.spec().keys) {
            if (old_values.value(key.name, nlohmann::json()) == new_values.value(key.name, nlohmann::json())) continue;
            std::string line = "[" + section.name() + "] " + key.name;
            const auto shown_before = old_shown.value(key.name, nlohmann::json()).dump();
            const auto shown_after = new_shown.value(key.name, nlohmann::json()).dump();
            line += shown_before == shown_after ? " changed (a secret, not shown)" : ": " + shown_before + " -> " + shown_after;
            lines.emplace_back(section.name(), core::escape_controls(line));
        }
    }
    return lines;
}

std::uint64_t pending_of(core::Notifier& notifier) {
    std::uint64_t pending = 0;
    for (const auto& s : notifier.stats()) pending += s.pending + s.in_flight;
    return pending;
}

class Server {
public:
    explicit Server(Context& context)
        : context_(context),
          service_log_(context.err, context.settings().log()),
          log_(service_log_.function()) {
        auto store = context_.listener_store(log_);
        listeners_ = listener_versions(store);
        // The endpoint first: a port that is taken stops serve before it delivers anything.
        const auto serve = context_.settings().serve();
        if (!serve.metrics.empty()) {
            const auto unhealthy_after = serve.unhealthy_after;
            endpoint_ = std::make_unique<HttpEndpoint>(
                serve.metrics,
                std::map<std::string, HttpEndpoint::Page>{
                    {"/metrics", [this] {
                         const auto notifier = current();
                         if (!notifier) return starting;
                         return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", notifier->metrics_text()};
                     }},
                    {"/healthz", [this, unhealthy_after] {
                         const auto notifier = current();
                         if (!notifier) return starting;
                         const auto health = notifier->health(unhealthy_after);
                         return health.healthy ? HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"}
                                               : HttpAnswer{503, "text/plain; charset=utf-8",
                                                            "unhealthy: " + health.reason + "\n"};
                     }}});
            log_(core::LogLevel::info, "answering GET /metrics and /healthz on " + serve.metrics);
        }
        replace_notifier(start_notifier());
    }

    // SIGHUP: the new server.conf applies only once it loads and every handler accepts it;
    // otherwise the settings in use stay. Delivery restarts only when a setting changed.
    void reload() {
        log_(core::LogLevel::info, "reload: SIGHUP received, reading server.conf and the listeners");
        try {
            auto fresh = context_.load_settings();
            context_.check_sections(fresh);
            const auto changes = setting_changes(context_.settings(), fresh);
            bool restart_needed = false;
            for (const auto& [section, line] : changes) {
                const bool later = read_at_start(section);
                restart_needed = restart_needed || !later;
                log_(core::LogLevel::info, "reload: " + line + (later ? " (takes effect when serve starts again)" : ""));
            }
            if (changes.empty()) {
                log_(core::LogLevel::info, "reload: server.conf unchanged");
            } else if (restart_needed) {
                restart(std::move(fresh));
            }
        } catch (const Error& e) {
            log_(core::LogLevel::error, std::string("reload: ") + e.what() + "; the settings in use are kept");
        }
        try {
            auto store = context_.listener_store(log_);
            auto now = listener_versions(store);
            log_listener_changes(listeners_, now, log_);
            listeners_ = std::move(now);
        } catch (const Error& e) {
            log_(core::LogLevel::error, std::string("reload: cannot read the listeners: ") + e.what());
        }
    }

    void announce() const {
        std::string kinds;
        for (const auto& kind : context_.handlers()->kinds()) kinds += (kinds.empty() ? "" : ", ") + kind;
        log_(core::LogLevel::info, "serving " + context_.settings().store().location().describe() + " (handlers " +
                                       (kinds.empty() ? std::string("none") : kinds) +
                                       "); SIGTERM or Ctrl-C to stop, SIGHUP to reload");
    }

    // "2 listeners, 0 deliveries pending, 0 in flight, 0 dead letters"
    std::string summary() const {
        std::uint64_t pending = 0;
        std::uint64_t in_flight = 0;
        std::uint64_t dead = 0;
        std::vector<core::ListenerStats> stats;
        try {
            stats = notifier_->stats();  // one entry per listener in the store, read now
        } catch (const StoreError& e) {
            // A database restarting: delivery waits for it, and so does this line.
            return std::string("the store cannot be read now: ") + e.what();
        }
        for (const auto& s : stats) {
            pending += s.pending;
            in_flight += s.in_flight;
            dead += s.dead;
        }
        return std::to_string(stats.size()) + " listeners, " + std::to_string(pending) + " deliveries pending, " +
               std::to_string(in_flight) + " in flight, " + std::to_string(dead) + " dead letters";
    }

    void status() const { log_(core::LogLevel::info, "status: " + summary()); }

    void log(core::LogLevel level, const std::string& message) const { log_(level, message); }

    // Returns what is left in the outbox; nothing when the store cannot be read.
    std::optional<std::uint64_t> stop() {
        endpoint_.reset();
        notifier_->stop(Clock::now() + drain_time);
        try {
            return pending_of(*notifier_);
        } catch (const StoreError& e) {
            log_(core::LogLevel::warning, std::string("cannot count what is left in the outbox: ") + e.what());
            return std::nullopt;
        }
    }

private:
    std::shared_ptr<core::Notifier> start_notifier() {
        return context_.notifier(true, log_, {}, [this](core::NotifierOptions& o) { service_log_.log_outcomes(o); });
    }

    // The notifier in use, for the endpoint's threads (a reload replaces it).
    std::shared_ptr<core::Notifier> current() const {
        std::lock_guard lock(notifier_mutex_);
        return notifier_;
    }

    void replace_notifier(std::shared_ptr<core::Notifier> notifier) {
        std::lock_guard lock(notifier_mutex_);
        notifier_ = std::move(notifier);
    }

    // Stops delivering with the old settings (what is under way may finish; the rest stays
    // in the outbox) and starts again with the new ones; back to the old ones if the new
    // ones cannot start.
    void restart(config::Settings fresh) {
        log_(core::LogLevel::info, "reload: restarting delivery with the new settings");
        const config::Settings old = context_.settings();
        notifier_->stop(Clock::now() + drain_time);
        replace_notifier(nullptr);
        context_.use_settings(std::move(fresh));
        try {
            replace_notifier(start_notifier());
        } catch (const Error& e) {
            log_(core::LogLevel::error, std::string("reload: cannot start with the new settings: ") + e.what() +
                                            "; going back to the settings in use before");
            context_.use_settings(old);
            replace_notifier(start_notifier());
        }
    }

    Context& context_;
    const ServiceLog service_log_;  // [log] as serve started; a reload keeps it
    core::LogFunction log_;
    mutable std::mutex notifier_mutex_;  // guards notifier_ against the endpoint's threads
    std::shared_ptr<core::Notifier> notifier_;
    std::unique_ptr<HttpEndpoint> endpoint_;  // [serve] metrics; stopped before the notifier
    std::map<std::string, std::string> listeners_;
};

}  // namespace

void add_serve_command(CLI::App& app, Context& context, Action& action) {
    auto* serve = app.add_subcommand(
        "serve", "Deliver pending events until SIGTERM, SIGINT or SIGQUIT (then drain and exit); SIGHUP reloads");
    serve->callback([&] {
        action = [&] {
            // Before the notifier starts any thread, so that every thread leaves these to us.
            Signals signals({SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2});
            const ServiceManager manager;
            Server server(context);  // the store is open and every handler in use started
            if (!context.json) server.announce();
            manager.ready(server.summary());
            // Wake for the watchdog (half its interval) and to refresh the status line.
            const auto tick = std::min(manager.watchdog_every().value_or(status_every), status_every);
            auto next_status = Clock::now() + status_every;
            int signal = 0;
            while (true) {
                signal = signals.next(tick);
                if (signal == 0) {
                    manager.watchdog();  // a no-op unless systemd asked for it
                    if (Clock::now() >= next_status) {
                        manager.status(server.summary());
                        next_status = Clock::now() + status_every;
                    }
                } else if (signal == SIGHUP) {
                    manager.reloading();
                    server.reload();
                    manager.ready(server.summary());
                } else if (signal == SIGUSR1 || signal == SIGUSR2) {
                    server.status();
                } else {
                    break;
                }
            }
            manager.stopping(std::string("stopping (") + signal_name(signal) + "): draining for up to 10 s");
            const auto pending = server.stop();
            if (context.json) {
                context.print_json({{"stopped_by", signal_name(signal)},
                                    {"pending", pending ? nlohmann::json(*pending) : nlohmann::json()}});
            } else {
                server.log(core::LogLevel::info, std::string("stopped by ") + signal_name(signal) + "; " +
                                                     (pending ? std::to_string(*pending) : std::string("unknown")) +
                                                     " deliveries left in the outbox");
            }
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
