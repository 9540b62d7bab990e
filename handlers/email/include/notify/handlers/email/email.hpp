// The "email" handler: each event as a mail through an SMTP server (libcurl). docs/email.md.
#pragma once

#include <memory>

#include "notify/core/handler_registry.hpp"

namespace notify::handlers::email {

// Registers the "email" handler kind (server.conf section [email]). Listener settings:
// {"subject": template, "addresses": ["a@example.com", ...]} (a comma-separated text is
// accepted and stored as a list). Formats, for the event shown in the mail: cloudevents
// (default), data, pulp. Creating a listener is refused while [email] enabled = false.
// Thread-safe, like HandlerRegistry::add(). Throws notify::ValidationError when "email" is
// already registered.
void register_handler(core::HandlerRegistry& registry);
// The factory register_handler() adds (for plugins and hosts that build their own registry).
std::unique_ptr<core::HandlerFactory> make_factory();

}  // namespace notify::handlers::email
