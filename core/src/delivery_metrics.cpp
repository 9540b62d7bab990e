// Delivery outcome counters, fire-to-confirmation durations and handler states.
#include "delivery_metrics.hpp"

namespace notify::core {

namespace {

// From a millisecond (a local broker) to an hour (a long outage's retries).
const prometheus::Histogram::BucketBoundaries duration_buckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};

}  // namespace

DeliveryMetrics::DeliveryMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      deliveries_(prometheus::BuildCounter()
                      .Name("notify_deliveries_total")
                      .Help("Delivery attempts this process made, by outcome: delivered (confirmed), retried "
                            "(will be tried again), dead (given up)")
                      .Register(*registry_)),
      duration_(prometheus::BuildHistogram()
                    .Name("notify_delivery_duration_seconds")
                    .Help("From fire() to the confirmation of the server, retries included")
                    .Register(*registry_)),
      handler_up_(prometheus::BuildGauge()
                      .Name("notify_handler_up")
                      .Help("1 when the handler's last attempt got through (or none failed yet), 0 while its "
                            "attempts fail and are retried, or it cannot start")
                      .Register(*registry_)),
      filter_errors_(prometheus::BuildCounter()
                         .Name("notify_filter_errors_total")
                         .Help("Events a listener's filter failed on in this process's fire() (a jq error): the "
                               "listener did not get them")
                         .Register(*registry_)) {}

void DeliveryMetrics::filter_failed(const std::string& listener_id) {
    std::lock_guard lock(mutex_);
    auto it = filter_error_series_.find(listener_id);
    if (it == filter_error_series_.end()) {
        it = filter_error_series_.emplace(listener_id, &filter_errors_.Add({{"listener", listener_id}})).first;
    }
    it->second->Increment();
}

DeliveryMetrics::HandlerState& DeliveryMetrics::handler_locked(const std::string& kind) {
    auto it = handlers_.find(kind);
    if (it == handlers_.end()) {
        it = handlers_.emplace(kind, HandlerState{}).first;
        it->second.up = &handler_up_.Add({{"kind", kind}});
        it->second.up->Set(1);
    }
    return it->second;
}

DeliveryMetrics::ListenerSeries& DeliveryMetrics::listener_locked(const std::string& listener_id,
                                                                  const std::string& kind) {
    auto it = listeners_.find(listener_id);
    if (it != listeners_.end() && it->second.kind == kind) return it->second;
    if (it != listeners_.end()) {
        // Same id, another kind (deleted and recreated): the old series go.
        deliveries_.Remove(it->second.delivered);
        deliveries_.Remove(it->second.retried);
        deliveries_.Remove(it->second.dead);
        listeners_.erase(it);
    }
    ListenerSeries s;
    s.kind = kind;
    s.delivered = &deliveries_.Add({{"listener", listener_id}, {"kind", kind}, {"outcome", "delivered"}});
    s.retried = &deliveries_.Add({{"listener", listener_id}, {"kind", kind}, {"outcome", "retried"}});
    s.dead = &deliveries_.Add({{"listener", listener_id}, {"kind", kind}, {"outcome", "dead"}});
    if (durations_.count(kind) == 0) durations_[kind] = &duration_.Add({{"kind", kind}}, duration_buckets);
    return listeners_.emplace(listener_id, s).first->second;
}

void DeliveryMetrics::listener_in_use(const std::string& listener_id, const std::string& kind) {
    std::lock_guard lock(mutex_);
    listener_locked(listener_id, kind);
    handler_locked(kind);
}

void DeliveryMetrics::listener_gone(const std::string& listener_id) {
    std::lock_guard lock(mutex_);
    const auto it = listeners_.find(listener_id);
    if (it == listeners_.end()) return;
    deliveries_.Remove(it->second.delivered);
    deliveries_.Remove(it->second.retried);
    deliveries_.Remove(it->second.dead);
    listeners_.erase(it);
}

void DeliveryMetrics::ended(const std::string& listener_id, const std::string& kind, Ended how,
                              std::chrono::microseconds since_fired, const std::string& error, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    // An attempt that ends after its listener was deleted counts nowhere: recreating its
    // series would also mark its handler in use (and failing) again.
    const auto it = listeners_.find(listener_id);
    if (it == listeners_.end() || it->second.kind != kind) return;
    ListenerSeries& series = it->second;
    HandlerState& handler = handler_locked(kind);
    switch (how) {
        case Ended::delivered:
            series.delivered->Increment();
            durations_[kind]->Observe(std::chrono::duration<double>(since_fired).count());
            handler.failing_since.reset();
            handler.error.clear();
            handler.up->Set(1);
            break;
        case Ended::retried:
            series.retried->Increment();
            if (!handler.failing_since) handler.failing_since = now;
            handler.error = error;
            handler.up->Set(0);
            break;
        case Ended::dead:
            series.dead->Increment();
            break;
    }
}

void DeliveryMetrics::handler_started(const std::string& kind) {
    std::lock_guard lock(mutex_);
    HandlerState& handler = handler_locked(kind);
    handler.failing_since.reset();
    handler.error.clear();
    handler.up->Set(1);
}

void DeliveryMetrics::handler_failed(const std::string& kind, const std::string& error, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    HandlerState& handler = handler_locked(kind);
    if (!handler.failing_since) handler.failing_since = now;
    handler.error = error;
    handler.up->Set(0);
}

void DeliveryMetrics::keep_handlers(const std::set<std::string>& kinds) {
    std::lock_guard lock(mutex_);
    for (auto it = handlers_.begin(); it != handlers_.end();) {
        if (kinds.count(it->first) != 0) {
            ++it;
            continue;
        }
        handler_up_.Remove(it->second.up);
        it = handlers_.erase(it);
    }
}

std::vector<DeliveryMetrics::Failing> DeliveryMetrics::failing_longer_than(Clock::duration after,
                                                                         Clock::time_point now) const {
    std::vector<Failing> out;
    std::lock_guard lock(mutex_);
    for (const auto& [kind, state] : handlers_) {
        if (state.failing_since && now - *state.failing_since > after) {
            out.push_back({kind, now - *state.failing_since, state.error});
        }
    }
    return out;
}

std::vector<prometheus::MetricFamily> DeliveryMetrics::collect() const { return registry_->Collect(); }

}  // namespace notify::core
