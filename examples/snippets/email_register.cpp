// The email handler in a host's registry (docs/email.md).
#include <notify/handlers/email/email.hpp>

void add_email(notify::core::HandlerRegistry& handlers) {
    notify::handlers::email::register_handler(handlers);  // kind "email", section [email]
}
