// Building AMQP messages: body, properties, application properties.
#include "message.hpp"

#include <proton/binary.hpp>
#include <proton/codec/map.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/timestamp.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

#include "notify/config/settings.hpp"
#include "notify/core/error.hpp"
#include "notify/core/event_template.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::amqp {

namespace {

const std::vector<std::string> property_names{"app-id", "content-encoding", "correlation-id", "priority", "ttl",
                                              "user-id"};
// Application properties notify sets on every message, and the prefix of binary mode's.
const std::vector<std::string> own_headers{"event-type", "event-time", "event-source"};
constexpr std::string_view cloudevents_prefix = "cloudEvents:";

// AMQP 0-9-1 short strings (RabbitMQ's app_id, correlation_id, header names) hold 255 bytes.
constexpr std::size_t max_short_bytes = 255;
constexpr std::size_t max_header_value_bytes = 4096;

// AMQP 1.0's ttl is a uint of milliseconds; 30 days is far below its limit.
constexpr std::chrono::milliseconds max_ttl{30LL * 24 * 3600 * 1000};

std::string text_of(const nlohmann::json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string property_flag(const std::string& name, const std::string& value) {
    return "--property " + core::quote_text(name + "=" + value);
}

int parse_priority(const std::string& text, const std::string& flag) {
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 255) {
        throw ValidationError(flag + ": the priority must be a whole number from 0 to 255");
    }
    return value;
}

std::chrono::milliseconds parse_ttl(const std::string& text, const std::string& flag) {
    try {
        return config::parse_duration(text, std::chrono::milliseconds(1), max_ttl);
    } catch (const ValidationError& e) {
        throw ValidationError(flag + ": " + e.what());
    }
}

void check_property(const std::string& name, const std::string& value, const std::string& connection_user) {
    const std::string flag = property_flag(name, value);
    if (std::find(property_names.begin(), property_names.end(), name) == property_names.end()) {
        const auto suggestion = core::closest_match(name, property_names);
        throw ValidationError(flag + ": unknown property " + core::quote_text(name) +
                              (suggestion.empty() ? std::string() : "; did you mean " + suggestion + "?") +
                              " (known: app-id, content-encoding, correlation-id, priority, ttl, user-id)");
    }
    if (name == "priority") {
        (void)parse_priority(value, flag);
    } else if (name == "ttl") {
        (void)parse_ttl(value, flag);
    } else if (name == "app-id" || name == "correlation-id") {
        if (value.empty()) throw ValidationError(flag + ": the value must not be empty");
        (void)core::EventTemplate(value, "--property " + name);
    } else if (name == "content-encoding") {
        const bool token = !value.empty() && value.size() <= max_short_bytes &&
                           std::all_of(value.begin(), value.end(), [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                      c == '-' || c == '.' || c == '_' || c == '+';
                           });
        if (!token) throw ValidationError(flag + ": expected an encoding name such as gzip");
    } else if (name == "user-id") {
        // RabbitMQ refuses a message whose user-id is not the connection's user.
        if (connection_user.empty()) {
            throw ValidationError(flag + ": notify connects without a user name ([messaging] url or username), "
                                         "and RabbitMQ accepts only the connection's user");
        }
        if (value != connection_user) {
            throw ValidationError(flag + ": RabbitMQ accepts only the user notify connects as, " +
                                  core::quote_text(connection_user));
        }
    }
}

void check_header(const std::string& name, const std::string& value) {
    const std::string flag = "--amqp-header " + core::quote_text(name + "=" + value);
    if (name.size() > max_short_bytes || core::has_control_chars(name) || !core::is_valid_utf8(name) ||
        name.find(' ') != std::string::npos) {
        throw ValidationError(flag + ": a header name is 1-255 bytes without spaces or control characters");
    }
    if (std::find(own_headers.begin(), own_headers.end(), name) != own_headers.end() ||
        name.rfind(cloudevents_prefix, 0) == 0) {
        throw ValidationError(flag + ": notify sets " + core::quote_text(name) +
                              " itself (event-type, event-time, event-source, cloudEvents:*)");
    }
    (void)core::EventTemplate(value, "--amqp-header " + name);
}

// The stored map `key` of the listener's settings ({} when absent).
const nlohmann::json& map_setting(const nlohmann::json& settings, const char* key, const char* flag) {
    static const nlohmann::json empty = nlohmann::json::object();
    const auto it = settings.find(key);
    if (it == settings.end()) return empty;
    if (!it->is_object()) throw ValidationError(std::string(flag) + ": expected NAME=VALUE pairs");
    return *it;
}

void apply_properties(proton::message& m, const core::Delivery& d) {
    const auto& event = *d.event;
    if (event.correlation_id()) m.correlation_id(proton::message_id(*event.correlation_id()));
    for (const auto& [name, value] : map_setting(d.listener->settings, "properties", "--property").items()) {
        const std::string text = text_of(value);
        const std::string flag = property_flag(name, text);
        if (name == "priority") {
            m.priority(static_cast<std::uint8_t>(parse_priority(text, flag)));
        } else if (name == "ttl") {
            m.ttl(proton::duration(parse_ttl(text, flag).count()));
        } else if (name == "app-id") {
            // AMQP 1.0 has no app-id; RabbitMQ 3.13 and later show group-id to 0-9-1 consumers as app_id.
            m.group_id(core::EventTemplate(text, "--property app-id").render(event, max_short_bytes));
        } else if (name == "correlation-id") {
            m.correlation_id(
                proton::message_id(core::EventTemplate(text, "--property correlation-id").render(event, max_short_bytes)));
        } else if (name == "content-encoding") {
            m.content_encoding(text);
        } else if (name == "user-id") {
            m.user(text);
        } else {
            throw ValidationError(flag + ": unknown property " + core::quote_text(name));
        }
    }
}

void apply_application_properties(proton::message& m, const core::Delivery& d, bool binary) {
    const auto& event = *d.event;
    auto& properties = m.properties();
    properties.put("event-type", event.type());
    properties.put("event-time", core::format_rfc3339(event.time()));
    properties.put("event-source", event.source());
    if (binary) {
        const std::string prefix(cloudevents_prefix);
        properties.put(prefix + "specversion", "1.0");
        properties.put(prefix + "id", event.id());
        properties.put(prefix + "source", event.source());
        properties.put(prefix + "type", event.type());
        properties.put(prefix + "time", core::format_rfc3339(event.time()));
        if (event.effective()) properties.put(prefix + "effective", core::format_rfc3339(*event.effective()));
    }
    for (const auto& [name, value] : map_setting(d.listener->settings, "headers", "--amqp-header").items()) {
        properties.put(name, core::EventTemplate(text_of(value), "--amqp-header " + name)
                                 .render(event, max_header_value_bytes));
    }
}

}  // namespace

core::MessagePreview preview_of(const proton::message& m, const std::string& exchange) {
    core::MessagePreview p;
    p.fields = {{"exchange", exchange},
                {"subject (routing key)", m.subject()},
                {"message-id", proton::to_string(m.id())},
                {"content-type", m.content_type()},
                {"durable", m.durable() ? "true" : "false"}};
    if (!m.content_encoding().empty()) p.fields.emplace_back("content-encoding", m.content_encoding());
    if (!m.correlation_id().empty()) p.fields.emplace_back("correlation-id", proton::to_string(m.correlation_id()));
    if (!m.group_id().empty()) p.fields.emplace_back("group-id (app_id)", m.group_id());
    if (!m.user().empty()) p.fields.emplace_back("user-id", m.user());
    if (m.priority() != proton::message::default_priority) p.fields.emplace_back("priority", std::to_string(m.priority()));
    if (m.ttl().milliseconds() != 0) p.fields.emplace_back("ttl (ms)", std::to_string(m.ttl().milliseconds()));
    std::map<std::string, proton::scalar> properties;
    proton::get(m.properties().value(), properties);
    for (const auto& [name, value] : properties) p.fields.emplace_back("application property " + name, proton::to_string(value));
    const auto body = proton::get<proton::binary>(m.body());
    p.body.assign(body.begin(), body.end());
    return p;
}

void check_message_settings(const nlohmann::json& listener_settings, const std::string& connection_user) {
    for (const auto& [name, value] : map_setting(listener_settings, "properties", "--property").items()) {
        check_property(name, text_of(value), connection_user);
    }
    for (const auto& [name, value] : map_setting(listener_settings, "headers", "--amqp-header").items()) {
        check_header(name, text_of(value));
    }
}

proton::message make_message(const core::Delivery& d, const std::string& cloudevents_mode) {
    const auto& event = *d.event;
    const bool binary = d.listener->format == "cloudevents" && cloudevents_mode == "binary";
    // Binary mode: the data as an application/json body, which every AMQP 0-9-1 client
    // decodes as JSON (kombu with accept=['json'] included), the attributes as
    // "cloudEvents:" application properties.
    // A transform's output is the body in either mode.
    const auto formatted = d.listener->transform.empty()
                               ? core::format_message(event, binary ? "data" : d.listener->format)
                               : core::format_message(event, *d.listener);
    proton::message m;
    apply_application_properties(m, d, binary);
    apply_properties(m, d);
    m.id(proton::message_id(d.id));
    m.subject(formatted.subject);
    m.content_type(formatted.content_type);
    // Binary body with inferred=true is sent as one data section, which RabbitMQ hands
    // to AMQP 0-9-1 consumers as exactly these bytes (an amqp-value would arrive encoded).
    m.body(proton::binary(formatted.body.begin(), formatted.body.end()));
    m.inferred(true);
    m.durable(true);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(event.time().time_since_epoch());
    m.creation_time(proton::timestamp(millis.count()));
    return m;
}

}  // namespace notify::handlers::amqp
