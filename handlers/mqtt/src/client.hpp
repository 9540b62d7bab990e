// MqttHandler: publishes deliveries with libmosquitto and reports each one once the broker
// acknowledged it (internal).
#pragma once

#include <memory>

#include "notify/core/handler.hpp"
#include "settings.hpp"

namespace notify::handlers::mqtt {

// Throws notify::Error when libmosquitto cannot set up the client (TLS files, ...).
std::unique_ptr<core::Handler> make_handler(const MqttSettings& settings, core::LogFunction log);

}  // namespace notify::handlers::mqtt
