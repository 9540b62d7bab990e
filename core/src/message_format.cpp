// Rendering events in the three message formats.
#include "notify/core/message_format.hpp"

#include <algorithm>

#include "jq_program.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

namespace {

[[noreturn]] void unknown_format(std::string_view format) {
    throw ValidationError("unknown message format " + quote_text(format) + "; use cloudevents, data or pulp");
}

}  // namespace

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
    unknown_format(format);
}

namespace {

// The subject `format` gives `event` (format known).
std::string subject_of(const Event& event, std::string_view format) {
    return format == "pulp" ? "pulp.server." + event.type() : event.type();
}

}  // namespace

FormattedMessage format_message(const Event& event, std::string_view format) {
    std::string body = message_body(event, format).dump();
    const char* type = format == "cloudevents" ? "application/cloudevents+json" : "application/json";
    return {subject_of(event, format), type, std::move(body)};
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
    // Only the format's subject is kept: its body is not made at all.
    if (!is_message_format(listener.format)) unknown_format(listener.format);
    return {subject_of(event, listener.format), "application/json", transformed(event, listener.transform)};
}

nlohmann::json message_body(const Event& event, const Listener& listener) {
    if (listener.transform.empty()) return message_body(event, listener.format);
    return nlohmann::json::parse(transformed(event, listener.transform));
}

}  // namespace notify::core
