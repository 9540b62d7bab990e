// Proton connection options from the handler's settings (internal).
#pragma once

#include <proton/connection_options.hpp>

#include "settings.hpp"

namespace notify::handlers::amqp {

// Credentials, TLS (host names verified), idle timeout, virtual host and, with
// `proton_reconnect`, Proton's own reconnect with backoff across the failover URLs. The
// handler must still be set by the caller.
proton::connection_options connection_options(const AmqpSettings& settings, bool proton_reconnect);

}  // namespace notify::handlers::amqp
