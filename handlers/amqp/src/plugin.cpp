// The amqp handler as a plugin (notify_handler_amqp.so), loaded by the notify tool like any other.
#include "notify/core/plugin.hpp"
#include "notify/handlers/amqp/amqp.hpp"

namespace {

void add_factories(notify::core::PluginFactories& factories) {
    factories.push_back(notify::handlers::amqp::make_factory());
}

}  // namespace

NOTIFY_PLUGIN(amqp, NOTIFY_VERSION_STRING, add_factories)
