// The amqp handler in a host's registry (docs/amqp.md).
#include <notify/handlers/amqp/amqp.hpp>

void add_amqp(notify::core::HandlerRegistry& handlers) {
    notify::handlers::amqp::register_handler(handlers);  // kind "amqp", section [messaging]
}
