// server.conf -> NotifierOptions.
#include "notify/config/notifier_options.hpp"

namespace notify::config {

core::NotifierOptions notifier_options(const Settings& settings,
                                       std::shared_ptr<const core::HandlerRegistry> handlers) {
    core::NotifierOptions o;
    const auto store = settings.store();
    o.store = store.location();
    o.outbox = store.memory_outbox ? core::NotifierOptions::OutboxMode::memory
                                   : core::NotifierOptions::OutboxMode::durable;
    o.sync_full = store.sync_full;
    const auto d = settings.delivery();
    o.workers = d.workers;
    o.listener_concurrency = d.listener_concurrency;
    o.listener_prefetch = static_cast<std::size_t>(d.listener_prefetch);
    o.retry.max_attempts = d.max_attempts;
    o.retry.max_age = d.max_age;
    o.retry.backoff_initial = d.backoff_initial;
    o.retry.backoff_max = d.backoff_max;
    o.lease = d.lease;
    o.handlers = std::move(handlers);
    for (const auto& section : settings.sections()) o.handler_sections[section.name()] = section.to_json();
    return o;
}

}  // namespace notify::config
