// From server.conf settings to the options of a core::Notifier.
#pragma once

#include <memory>

#include "notify/config/settings.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/notifier.hpp"

namespace notify::config {

// [store] and [delivery] become the notifier's options; every section is handed over as
// typed JSON, so each handler finds its own (HandlerFactory::config_section()).
core::NotifierOptions notifier_options(const Settings& settings,
                                       std::shared_ptr<const core::HandlerRegistry> handlers);

}  // namespace notify::config
