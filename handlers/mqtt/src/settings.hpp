// The [mqtt] section and mqtt listener settings, checked (internal).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "notify/core/listener.hpp"
#include "notify/core/settings_spec.hpp"

namespace notify::handlers::mqtt {

core::SectionSpec mqtt_section();

struct MqttSettings {
    std::string host = "localhost";
    int port = 1883;
    bool tls = false;  // mqtts://
    std::string username;
    std::string password;
    std::string client_id;  // resolved: never empty
    std::string topic_prefix = "notify";
    std::string ca_file;
    bool allow_insecure_auth = false;
    std::chrono::milliseconds keepalive{30000};
    std::chrono::milliseconds timeout{30000};

    // From the section as typed JSON. Throws notify::ConfigError naming the key.
    static MqttSettings from_section(const nlohmann::json& section);
};

// Throws notify::ValidationError unless `prefix` can start an MQTT topic name: not empty,
// no '+', '#' or NUL, no '/' at either end, at most 200 bytes.
void check_topic_prefix(const std::string& prefix, const std::string& what);

// Checks and normalises an mqtt listener: topic_prefix (text) and qos (0, 1 or 2 as a number).
void validate_listener_settings(core::Listener& listener);

// "<prefix>/<event type with '.' as '/'>": notify/repo/sync/finish.
std::string topic_for(const std::string& prefix, const std::string& event_type);

}  // namespace notify::handlers::mqtt
