// The AMQP message of one delivery: the body in the listener's format, and the properties
// and application properties the listener and the event give it (internal).
#pragma once

#include <proton/message.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "notify/core/handler.hpp"

namespace notify::handlers::amqp {

// Checks the listener settings "properties" (--property NAME=VALUE) and "headers"
// (--amqp-header NAME=VALUE) as stored. `connection_user` is the broker user notify
// connects as ([messaging] url or username). Throws notify::ValidationError naming the
// flag and the culprit: an unknown property (with a suggestion), a priority outside 0-255,
// a ttl that is no duration, a user-id other than the connection's user, a header notify
// sets itself, a value with an unknown {placeholder}.
void check_message_settings(const nlohmann::json& listener_settings, const std::string& connection_user);

// The message for `d`. `cloudevents_mode` "binary" sends the cloudevents format as the
// CloudEvents AMQP binding's binary content mode. Every message carries the application
// properties event-type, event-time (RFC 3339, UTC) and event-source. Throws
// notify::ValidationError when the listener's stored settings are unusable. Thread-safe.
proton::message make_message(const core::Delivery& d, const std::string& cloudevents_mode);

// `m` as `notify listener explain` shows it: to `exchange`, its properties that are set,
// its application properties, its body.
core::MessagePreview preview_of(const proton::message& m, const std::string& exchange);

}  // namespace notify::handlers::amqp
