// notify's own server.conf sections, and the schema with the handlers' sections added.
// docs/configuration.md mirrors the built-in handlers' schema (a test checks).
#include "notify/config/schema.hpp"

#include <cctype>
#include <string>

#include "notify/core/error.hpp"

namespace notify::config {

namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

SectionSpec store() {
    return {"store", "Where listeners and pending deliveries are kept.", {
        {"path", ValueType::path, "/var/lib/notify/notify.db",
         "SQLite store file; created with its folder when missing. Not used when url is set.", false, 0, 0, {}},
        {"url", ValueType::url, "",
         "A PostgreSQL database shared by a fleet of hosts instead of the file, e.g. "
         "postgresql://notify@db.example:5432/app?sslmode=verify-full; TLS is verified for any host but "
         "a local one unless sslmode says otherwise. Empty = the SQLite file at path.",
         false, 0, 0, {"postgresql", "postgres"}},
        {"password", ValueType::string, "",
         "Password for url; empty = the URL's own, then PGPASSWORD, then ~/.pgpass.", true, 0, 0, {}},
        {"schema", ValueType::string, "notify",
         "With url: the database schema holding notify's tables, created when missing.", false, 0, 0, {}},
        {"outbox", ValueType::choice, "durable",
         "durable (in the store file: survives crashes) or memory (faster; lost with the process).",
         false, 0, 0, {"durable", "memory"}},
        {"sync", ValueType::choice, "normal",
         "normal (a commit survives a crash of the process) or full (also power loss; fsync per commit).",
         false, 0, 0, {"normal", "full"}},
    }};
}

SectionSpec delivery() {
    return {"delivery", "How deliveries are attempted and retried.", {
        {"workers", ValueType::integer, "4", "Delivery worker threads per process.", false, 1, 256, {}},
        {"listener_concurrency", ValueType::integer, "2",
         "Deliveries of one listener attempted at once; lower than workers. 1 = in fire order.",
         false, 1, 255, {}},
        {"listener_prefetch", ValueType::integer, "256",
         "Deliveries of one listener a process holds in memory; the rest wait in the outbox.",
         false, 1, 100000, {}},
        {"max_attempts", ValueType::integer, "25",
         "Attempts before a delivery becomes a dead letter; 0 = no limit.", false, 0, 1000000, {}},
        {"max_age", ValueType::duration, "24h",
         "Age after which a delivery becomes a dead letter; 0 = no limit.", false, 0, 365 * day, {}},
        {"backoff_initial", ValueType::duration, "1s", "First retry delay (before jitter).", false,
         10, hour, {}},
        {"backoff_max", ValueType::duration, "5m", "Longest retry delay.", false, 10, day, {}},
        {"lease", ValueType::duration, "60s",
         "Heartbeat silence after which another process takes over a process's deliveries.", false,
         second, hour, {}},
    }};
}

SectionSpec plugins() {
    return {"plugins", "Where handler plugins are loaded from, besides the installed plugin folder.", {
        {"path", ValueType::string, "",
         "Plugin folders, comma-separated; relative ones are relative to this file's folder. Every *.so in them is "
         "loaded.",
         false, 0, 0, {}},
    }};
}

SectionSpec events() {
    return {"events", "Event types hosts register, so that the tool knows them too.", {
        {"catalogue", ValueType::string, "",
         "A file of event types: one per line ('type  description'; # starts a comment) or JSON "
         "([{\"type\": ..., \"description\": ...}]).",
         false, 0, 0, {}},
    }};
}

SectionSpec serve() {
    return {"serve", "What notify serve offers a service manager and a monitoring system.", {
        {"metrics", ValueType::address, "",
         "Where notify serve answers GET /metrics (Prometheus) and GET /healthz, e.g. 127.0.0.1:9464; empty = off.",
         false, 0, 0, {}},
        {"unhealthy_after", ValueType::duration, "5m",
         "How long a handler in use may keep failing before /healthz answers 503.", false, second, day, {}},
    }};
}

SectionSpec log() {
    return {"log", "What notify serve logs, and how.", {
        {"level", ValueType::choice, "info",
         "The lowest level logged: debug (also every delivery), info, warning or error.", false, 0, 0,
         {"debug", "info", "warning", "error"}},
        {"format", ValueType::choice, "text",
         "text (one line per message) or json (one JSON object per line, with the delivery's fields).", false, 0,
         0, {"text", "json"}},
    }};
}

}  // namespace

Schema Schema::builtin() {
    Schema schema;
    schema.sections_ = {store(), delivery(), serve(), log(), plugins(), events()};
    return schema;
}

Schema Schema::for_handlers(const core::HandlerRegistry& handlers) {
    Schema schema = builtin();
    schema.handler_kinds_ = handlers.kinds();
    for (const auto& kind : schema.handler_kinds_) {
        const auto& factory = handlers.get(kind);
        SectionSpec spec = factory.section_spec();
        if (spec.name != factory.config_section()) {
            throw ConfigError("the " + kind + " handler describes section [" + spec.name + "] but reads [" +
                              std::string(factory.config_section()) + "]");
        }
        if (schema.find(spec.name) != nullptr) {
            // Kinds may share a section only when they describe it alike.
            const auto* known = schema.find(spec.name);
            bool same = known->keys.size() == spec.keys.size();
            for (std::size_t i = 0; same && i < spec.keys.size(); ++i) {
                same = known->keys[i].name == spec.keys[i].name && known->keys[i].type == spec.keys[i].type &&
                       known->keys[i].default_text == spec.keys[i].default_text;
            }
            if (!same) {
                throw ConfigError("the " + kind + " handler describes section [" + spec.name +
                                  "] unlike another handler or notify itself");
            }
            continue;
        }
        schema.sections_.push_back(std::move(spec));
    }
    return schema;
}

void Schema::add_section(SectionSpec section) {
    if (find(section.name) != nullptr) {
        throw ConfigError("configuration section [" + section.name + "] is already defined");
    }
    sections_.push_back(std::move(section));
}

const SectionSpec* Schema::find(std::string_view section) const noexcept {
    for (const auto& s : sections_) {
        if (s.name == section) return &s;
    }
    return nullptr;
}

std::string environment_name(std::string_view section, std::string_view key) {
    std::string name = "NOTIFY_";
    for (const char c : section) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    name += "__";
    for (const char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

}  // namespace notify::config
