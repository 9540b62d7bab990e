// Message formats: how an event is rendered for a consumer (AMQP message, webhook body).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/event.hpp"
#include "notify/core/listener.hpp"

namespace notify::core {

// cloudevents: structured CloudEvents 1.0 JSON; subject = event type.
// data:        the event's data only; subject = event type (the older organisation messages).
// pulp:        {"event_type", "payload", "call_report": null}; subject = "pulp.server.<type>".
inline constexpr std::array<std::string_view, 3> message_formats{"cloudevents", "data", "pulp"};

// message_formats as strings, for HandlerFactory::formats().
std::vector<std::string> all_message_formats();

struct FormattedMessage {
    std::string subject;       // the AMQP subject, i.e. the routing key on a topic exchange
    std::string content_type;
    std::string body;          // UTF-8 JSON
};

bool is_message_format(std::string_view format) noexcept;

// For handler factories: throws notify::ValidationError ("an amqp listener's format must be
// cloudevents, data or pulp, not 'xml'") unless `format` is one of message_formats.
void check_listener_format(std::string_view kind, std::string_view format);

// Throws notify::ValidationError naming the format when it is not one of message_formats.
FormattedMessage format_message(const Event& event, std::string_view format);

// The body of format_message() as JSON, for handlers that show it another way (the email
// handler indents it). Throws like format_message().
nlohmann::json message_body(const Event& event, std::string_view format);

// What `listener` sends for `event`: the format's message, or with a transform its first
// output as the body (content type application/json; the subject stays the format's).
// Handlers call these rather than the forms above. Throws notify::ValidationError when the
// format is unknown or the transform fails on this event ("transform: jq: error ..."):
// such a delivery can never succeed as it is. Thread-safe (jq states are per thread).
FormattedMessage format_message(const Event& event, const Listener& listener);
nlohmann::json message_body(const Event& event, const Listener& listener);

}  // namespace notify::core
