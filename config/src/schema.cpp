// The built-in server.conf schema. docs/configuration.md mirrors this table (a test checks).
#include "notify/config/schema.hpp"

#include <cctype>

#include "notify/core/error.hpp"

namespace notify::config {

namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

SectionSpec messaging() {
    return {"messaging", "The AMQP 1.0 broker the amqp handler publishes to.", {
        {"url", ValueType::url_list, "amqp://localhost:5672",
         "Broker URL; a comma-separated list is tried in order (failover).", false, 0, 0,
         {"amqp", "amqps"}},
        {"topic_exchange", ValueType::name, "amq.topic",
         "Topic exchange for listeners that name none.", false, 0, 0, {}},
        {"auto_create_exchange", ValueType::boolean, "true",
         "Create the exchange as a durable topic exchange when it is missing.", false, 0, 0, {}},
        {"management_url", ValueType::url, "",
         "RabbitMQ management API used to create exchanges; empty = https://<broker host>:15671 "
         "with amqps://, else http://<broker host>:15672.",
         false, 0, 0, {"http", "https"}},
        {"username", ValueType::string, "", "Broker user (also for the management API); a user in the URL wins.",
         false, 0, 0, {}},
        {"password", ValueType::string, "", "Broker password.", true, 0, 0, {}},
        {"allow_insecure_auth", ValueType::boolean, "false",
         "Allow a password over plain amqp:// to hosts other than loopback.", false, 0, 0, {}},
        {"ca_file", ValueType::string, "", "CA certificates (PEM) to trust; empty = the system trust store.",
         false, 0, 0, {}},
        {"cert_file", ValueType::string, "", "Client certificate (PEM) for amqps://.", false, 0, 0, {}},
        {"key_file", ValueType::string, "", "Private key (PEM) of the client certificate.", false, 0, 0, {}},
        {"idle_timeout", ValueType::duration, "30s", "AMQP idle timeout: a silent connection is given up.",
         false, 1000, 3600 * 1000, {}},
        {"timeout", ValueType::duration, "30s",
         "How long one delivery waits for a connection and the broker's confirmation.", false, 1000, 600 * 1000, {}},
    }};
}

SectionSpec email() {
    return {"email", "The SMTP server the email handler sends through.", {
        {"enabled", ValueType::boolean, "false",
         "Allow email listeners. While false, creating one is refused.", false, 0, 0, {}},
        {"host", ValueType::string, "localhost", "SMTP server host name.", false, 0, 0, {}},
        {"port", ValueType::integer, "25", "SMTP server port.", false, 1, 65535, {}},
        {"from", ValueType::string, "notify@localhost", "Sender address (From and envelope).",
         false, 0, 0, {}},
        {"tls", ValueType::choice, "starttls",
         "starttls (required, never a silent fallback), ssl (implicit TLS) or none.", false, 0, 0,
         {"starttls", "ssl", "none"}},
        {"username", ValueType::string, "", "SMTP user; empty = no authentication.", false, 0, 0, {}},
        {"password", ValueType::string, "", "SMTP password.", true, 0, 0, {}},
        {"allow_insecure_auth", ValueType::boolean, "false",
         "Allow a password with tls = none to hosts other than loopback.", false, 0, 0, {}},
        {"ca_file", ValueType::string, "", "CA certificates (PEM) to trust; empty = the system trust store.",
         false, 0, 0, {}},
        {"connect_timeout", ValueType::duration, "10s", "How long connecting to the server may take.", false,
         100, 600 * 1000, {}},
        {"timeout", ValueType::duration, "60s", "How long sending one mail may take in all.", false, 1000,
         3600 * 1000, {}},
    }};
}

SectionSpec http() {
    return {"http", "How the http (webhook) handler makes its requests.", {
        {"ca_file", ValueType::string, "", "CA certificates (PEM) to trust for https://; empty = the system trust store.",
         false, 0, 0, {}},
        {"connect_timeout", ValueType::duration, "10s", "How long connecting to a receiver may take.", false, 100,
         600 * 1000, {}},
        {"timeout", ValueType::duration, "30s", "How long one request may take in all, redirects included.", false,
         1000, 3600 * 1000, {}},
        {"max_redirects", ValueType::integer, "3", "Redirects followed, only to the same scheme, host and port; 0 = none.", false,
         0, 3, {}},
    }};
}

SectionSpec store() {
    return {"store", "Where listeners and pending deliveries are kept.", {
        {"path", ValueType::path, "/var/lib/notify/notify.db",
         "SQLite store file; created with its folder when missing.", false, 0, 0, {}},
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

}  // namespace

const KeySpec* SectionSpec::find(std::string_view key) const noexcept {
    for (const auto& k : keys) {
        if (k.name == key) return &k;
    }
    return nullptr;
}

Schema Schema::builtin() {
    Schema schema;
    schema.sections_ = {messaging(), email(), http(), store(), delivery()};
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

std::string_view to_string(ValueType type) noexcept {
    switch (type) {
        case ValueType::string: return "string";
        case ValueType::name: return "name";
        case ValueType::boolean: return "boolean";
        case ValueType::integer: return "integer";
        case ValueType::duration: return "duration";
        case ValueType::choice: return "choice";
        case ValueType::url: return "url";
        case ValueType::url_list: return "url list";
        case ValueType::path: return "path";
    }
    return "?";
}

}  // namespace notify::config
