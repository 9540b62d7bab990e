// The "http" handler: each event POSTed to a webhook URL (libcurl). docs/webhooks.md.
#pragma once

#include <memory>

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/core/handler_registry.hpp"

namespace notify::handlers::http {

// Registers the "http" handler kind (server.conf section [http]). Listener settings:
// {"url": "https://...", "username", "password" (basic auth), "secret" (signs each
// request), "headers": {"Name": "value"}}; only url is required. Formats: cloudevents
// (default), data, pulp. Thread-safe, like HandlerRegistry::add(). Throws
// notify::ValidationError when "http" is already registered.
void register_handler(core::HandlerRegistry& registry);
// The factory register_handler() adds (for plugins and hosts that build their own registry).
std::unique_ptr<core::HandlerFactory> make_factory();

// The X-Notify-Signature value of a request: "sha256=" and the lower-case hex
// HMAC-SHA256 of "<timestamp>.<body>" keyed with `secret`, where `timestamp` is the
// X-Notify-Timestamp header (Unix seconds). A receiver recomputes it to check origin, and
// checks the timestamp is recent to refuse replays. Thread-safe; never throws.
std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace notify::handlers::http
