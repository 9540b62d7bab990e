// The [mqtt] section: what the mqtt handler reads from server.conf, checked.
#include "settings.hpp"

#include <unistd.h>

#include <filesystem>

#include "notify/core/error.hpp"
#include "http_client.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::mqtt {

namespace {

constexpr std::int64_t second = 1000;

}  // namespace

core::SectionSpec mqtt_section() {
    using core::ValueType;
    return {"mqtt", "The MQTT broker the mqtt handler publishes to (MQTT 5, or 3.1.1 when the broker speaks no 5).", {
        {"url", ValueType::url, "mqtt://localhost:1883", "Broker URL: mqtt://host:port or mqtts://host:port (TLS).",
         false, 0, 0, {"mqtt", "mqtts"}},
        {"username", ValueType::string, "", "Broker user; empty = none.", false, 0, 0, {}},
        {"password", ValueType::string, "", "Broker password.", true, 0, 0, {}},
        {"allow_insecure_auth", ValueType::boolean, "false",
         "Allow a password over plain mqtt:// to hosts other than loopback.", false, 0, 0, {}},
        {"ca_file", ValueType::string, "", "CA certificates (PEM) to trust for mqtts://; empty = the system trust store.",
         false, 0, 0, {}},
        {"client_id", ValueType::string, "", "MQTT client id; empty = notify-<host name>-<process id>.", false, 0, 0,
         {}},
        {"topic_prefix", ValueType::string, "notify",
         "Topics are <prefix>/<event type with '.' as '/'>, e.g. notify/repo/sync/finish.", false, 0, 0, {}},
        {"keepalive", ValueType::duration, "30s", "MQTT keep-alive: a silent connection is given up after 1.5 times this.",
         false, 5 * second, 3600 * second, {}},
        {"timeout", ValueType::duration, "30s",
         "How long one delivery waits for the broker's acknowledgement before it is retried.", false, second,
         600 * second, {}},
    }};
}

void check_topic_prefix(const std::string& prefix, const std::string& what) {
    const auto bad = [&](const std::string& why) {
        throw ValidationError(what + " " + core::quote_text(prefix) + ": " + why);
    };
    if (prefix.empty()) bad("must not be empty");
    if (prefix.size() > 200) bad("longer than 200 bytes");
    if (prefix.find_first_of(std::string("+#\0", 3)) != std::string::npos) bad("MQTT wildcards (+ #) cannot be published to");
    if (core::has_control_chars(prefix)) bad("control characters are not allowed");
    if (prefix.front() == '/' || prefix.back() == '/') bad("must not start or end with '/'");
}

MqttSettings MqttSettings::from_section(const nlohmann::json& section) {
    MqttSettings s;
    const auto text = [&](const char* key) { return section.value(key, std::string()); };
    const std::string url = section.value("url", std::string("mqtt://localhost:1883"));
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) throw ConfigError("[mqtt] url: expected mqtt://host:port");
    const std::string scheme = url.substr(0, scheme_end);
    if (scheme != "mqtt" && scheme != "mqtts") throw ConfigError("[mqtt] url: the scheme must be mqtt or mqtts");
    s.tls = scheme == "mqtts";
    s.port = s.tls ? 8883 : 1883;
    std::string rest = url.substr(scheme_end + 3);
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        if (rest.substr(slash) != "/") throw ConfigError("[mqtt] url: a path has no meaning for MQTT");
        rest.erase(slash);
    }
    if (rest.find('@') != std::string::npos) {
        throw ConfigError("[mqtt] url: put the user and password in [mqtt] username and password");
    }
    std::string host = rest;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) throw ConfigError("[mqtt] url: unclosed '[' in the host");
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') throw ConfigError("[mqtt] url: expected ':port' after the host");
        if (!rest.empty()) rest = "x" + rest;
    }
    if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        if (host == rest) host = rest.substr(0, colon);
        try {
            std::size_t used = 0;
            const std::string digits = rest.substr(colon + 1);
            s.port = std::stoi(digits, &used);
            if (used != digits.size() || s.port < 1 || s.port > 65535) throw std::invalid_argument("port");
        } catch (const std::exception&) {
            throw ConfigError("[mqtt] url: the port must be 1-65535");
        }
    }
    if (host.empty()) throw ConfigError("[mqtt] url: no host");
    if (host.find_first_of(":/ ") != std::string::npos && rest.front() != 'x') {
        throw ConfigError("[mqtt] url: write an IPv6 host in brackets: mqtt://[::1]:1883");
    }
    s.host = host;
    s.username = text("username");
    s.password = text("password");
    s.ca_file = text("ca_file");
    s.allow_insecure_auth = section.value("allow_insecure_auth", false);
    if (!s.password.empty() && !s.tls && !s.allow_insecure_auth && !curl::is_loopback(s.host)) {
        throw ConfigError("[mqtt] password: it would cross the network in clear text to " + s.host +
                          "; use mqtts:// or set allow_insecure_auth = true");
    }
    if (!s.ca_file.empty() && !std::filesystem::is_regular_file(s.ca_file)) {
        throw ConfigError("[mqtt] ca_file: " + s.ca_file + " is not a readable file");
    }
    s.client_id = text("client_id");
    if (s.client_id.empty()) {
        char name[256] = {};
        gethostname(name, sizeof name - 1);
        s.client_id = "notify-" + std::string(name) + "-" + std::to_string(getpid());
    }
    if (s.client_id.size() > 200 || core::has_control_chars(s.client_id)) {
        throw ConfigError("[mqtt] client_id: at most 200 bytes without control characters");
    }
    s.topic_prefix = section.value("topic_prefix", std::string("notify"));
    try {
        check_topic_prefix(s.topic_prefix, "[mqtt] topic_prefix");
    } catch (const ValidationError& e) {
        throw ConfigError(e.what());
    }
    s.keepalive = std::chrono::milliseconds(section.value("keepalive", 30000LL));
    s.timeout = std::chrono::milliseconds(section.value("timeout", 30000LL));
    return s;
}

void validate_listener_settings(core::Listener& listener) {
    for (auto& [key, value] : listener.settings.items()) {
        if (key == "topic_prefix") {
            if (!value.is_string()) throw ValidationError("topic_prefix must be text");
            check_topic_prefix(value.get<std::string>(), "--topic-prefix");
        } else if (key == "qos") {
            int qos = -1;
            if (value.is_number_integer()) qos = value.get<int>();
            if (value.is_string()) {
                const auto text = value.get<std::string>();
                if (text == "0" || text == "1" || text == "2") qos = text[0] - '0';
            }
            if (qos < 0 || qos > 2) throw ValidationError("--qos " + core::quote_text(value.dump()) + ": expected 0, 1 or 2");
            value = qos;
        } else {
            throw ValidationError("unknown setting " + core::quote_text(key) +
                                  " for an mqtt listener (known: topic_prefix, qos)");
        }
    }
}

std::string topic_for(const std::string& prefix, const std::string& event_type) {
    std::string topic = prefix + "/";
    for (const char c : event_type) topic += c == '.' ? '/' : c;
    return topic;
}

}  // namespace notify::handlers::mqtt
