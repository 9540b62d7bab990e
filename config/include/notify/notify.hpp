// Everything a host needs to embed notify, in one include: events and the well-known
// builders, the Notifier, listeners, the handler port and registry, the errors notify
// throws, and server.conf loading. Link notify::config (it brings notify::core). Each
// handler comes with its own library and header, e.g. <notify/handlers/amqp/amqp.hpp>.
#pragma once

#include "notify/config/loader.hpp"
#include "notify/config/notifier_options.hpp"
#include "notify/config/schema.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/event_bus.hpp"
#include "notify/core/handler.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/listener.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/log.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/notifier.hpp"
#include "notify/core/retry_policy.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"
#include "notify/core/topic_pattern.hpp"
#include "notify/core/well_known.hpp"
