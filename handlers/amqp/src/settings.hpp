// The [messaging] section, checked and resolved for the AMQP handler (internal).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/settings_spec.hpp"

namespace notify::handlers::amqp {

// The server.conf section the handler reads: keys, defaults, documentation.
core::SectionSpec messaging_section();

// Throws notify::ValidationError unless `name` can be a topic exchange notify publishes to:
// 1-255 letters, digits, '-', '_', '.' or ':', and none of the broker's own amq.* exchanges
// but amq.topic (the others are not topic exchanges, or cannot be created).
void check_exchange(const std::string& name);

struct AmqpSettings {
    std::vector<std::string> urls;  // scheme://host:port, without credentials or path
    bool tls = false;               // amqps
    std::string user;
    std::string password;
    std::string vhost = "/";
    std::string topic_exchange = "amq.topic";
    bool auto_create_exchange = true;
    bool exchange_durable = true;   // how a missing exchange is created
    std::string cloudevents_mode = "binary";  // or "structured"
    std::string address_style = "auto";       // "v1", "v2"
    std::string management_url;     // resolved: never empty
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    bool allow_insecure_auth = false;
    std::chrono::milliseconds idle_timeout{30000};
    std::chrono::milliseconds timeout{30000};

    // From the section as typed JSON (config::Section::to_json()). Throws notify::ConfigError:
    // mixed schemes, a password in clear text to a non-loopback host, a missing file, ...
    static AmqpSettings from_section(const nlohmann::json& section);
};

}  // namespace notify::handlers::amqp
