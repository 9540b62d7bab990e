// The email handler as a plugin (notify_handler_email.so), loaded by the notify tool like any other.
#include "notify/core/plugin.hpp"
#include "notify/handlers/email/email.hpp"

namespace {

void add_factories(notify::core::PluginFactories& factories) {
    factories.push_back(notify::handlers::email::make_factory());
}

}  // namespace

NOTIFY_PLUGIN(email, NOTIFY_VERSION_STRING, add_factories)
