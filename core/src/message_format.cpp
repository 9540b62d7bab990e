// Rendering events in the three message formats.
#include "notify/core/message_format.hpp"

#include <algorithm>

#include "jq_program.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

std::vector<std::string> all_message_formats() { return {message_formats.begin(), message_formats.end()}; }

bool is_message_format(std::string_view format) noexcept {
    return std::find(message_formats.begin(), message_formats.end(), format) != message_formats.end();
}

void check_listener_format(std::string_view kind, std::string_view format) {
    if (!is_message_format(format)) {
        throw ValidationError("an " + std::string(kind) + " listener's format must be cloudevents, data or pulp, not " +
                              quote_text(format));
    }
}

nlohmann::json message_body(const Event& event, std::string_view format) {
    if (format == "cloudevents") {
        nlohmann::json body = {
            {"specversion", "1.0"},
            {"id", event.id()},
            {"source", event.source()},
            {"type", event.type()},
            {"time", format_rfc3339(event.time())},
            {"datacontenttype", "application/json"},
            {"data", event.data()},
        };
        // An extension attribute (lower-case letters only, as CloudEvents asks).
        if (event.effective()) body["effective"] = format_rfc3339(*event.effective());
        return body;
    }
    if (format == "data") return event.data();
    if (format == "pulp") {
        return {
            {"event_type", event.type()},
            {"payload", event.data()},
            {"call_report", event.call_report()},
        };
    }
    throw ValidationError("unknown message format " + quote_text(format) + "; use cloudevents, data or pulp");
}

FormattedMessage format_message(const Event& event, std::string_view format) {
    std::string body = message_body(event, format).dump();
    if (format == "cloudevents") return {event.type(), "application/cloudevents+json", std::move(body)};
    if (format == "pulp") return {"pulp.server." + event.type(), "application/json", std::move(body)};
    return {event.type(), "application/json", std::move(body)};
}

namespace {

std::string transformed(const Event& event, const std::string& program) {
    const jq::Input input(to_json(event).dump());
    auto output = input.first(program);
    if (!output.error.empty()) throw ValidationError("transform: " + escape_controls(output.error));
    return std::move(output.json);
}

}  // namespace

FormattedMessage format_message(const Event& event, const Listener& listener) {
    if (listener.transform.empty()) return format_message(event, listener.format);
    auto body = transformed(event, listener.transform);
    auto message = format_message(event, listener.format);
    message.content_type = "application/json";
    message.body = std::move(body);
    return message;
}

nlohmann::json message_body(const Event& event, const Listener& listener) {
    if (listener.transform.empty()) return message_body(event, listener.format);
    return nlohmann::json::parse(transformed(event, listener.transform));
}

}  // namespace notify::core
