// A host's metrics and health from notify (docs/embedding.md).
#include <prometheus/exposer.h>

#include <notify/notify.hpp>

using notify::core::Notifier;

// A host that already runs a prometheus-cpp Exposer adds notify's metrics to it; the
// Exposer stops collecting them once the notifier is gone.
void add_notify_metrics(prometheus::Exposer& exposer, const Notifier& notifier) {
    exposer.RegisterCollectable(notifier.metrics());
}

// A host with its own HTTP stack answers its /metrics route with the text page...
std::string metrics_page(Notifier& notifier) { return notifier.metrics_text(); }

// ... and folds notify into its health check.
int health_status(Notifier& notifier, std::string& reason) {
    const auto health = notifier.health(std::chrono::minutes(5));
    reason = health.reason;
    return health.healthy ? 200 : 503;
}
