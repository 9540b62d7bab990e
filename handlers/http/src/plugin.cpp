// The http handler as a plugin (notify_handler_http.so), loaded by the notify tool like any other.
#include "notify/core/plugin.hpp"
#include "notify/handlers/http/http.hpp"

namespace {

void add_factories(notify::core::PluginFactories& factories) {
    factories.push_back(notify::handlers::http::make_factory());
}

}  // namespace

NOTIFY_PLUGIN(http, NOTIFY_VERSION_STRING, add_factories)
