// The http (webhook) handler in a host's registry (docs/webhooks.md).
#include <notify/handlers/http/http.hpp>

void add_http(notify::core::HandlerRegistry& handlers) {
    notify::handlers::http::register_handler(handlers);  // kind "http", section [http]
}
