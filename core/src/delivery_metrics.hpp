// DeliveryMetrics: what one Notifier's deliveries came to, as Prometheus metrics, and how
// each handler in use is doing, for health checks (internal). docs/operations.md lists
// the metrics.
//
// Thread-safe. The dispatcher reports outcomes from its recording thread and handler
// starts from its scheduler; scrapes and health checks come from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace notify::core {

class DeliveryMetrics {
public:
    using Clock = std::chrono::steady_clock;
    // How an attempt ended, as the notify_deliveries_total{outcome} label counts it.
    enum class Ended { delivered, retried, dead };

    DeliveryMetrics();

    // A listener this process delivers for: its outcome counters start at 0.
    void listener_in_use(const std::string& listener_id, const std::string& kind);
    // A listener that is gone: its series are dropped.
    void listener_gone(const std::string& listener_id);
    // An attempt's outcome, once stored. `since_fired`: from fire() to this outcome.
    // delivered marks the handler up; retried marks it failing (since now, unless it
    // already was) with `error`; dead leaves its state alone (the receiver refused one
    // delivery, or it ran out of attempts). Ignored for a listener not in use (deleted).
    void ended(const std::string& listener_id, const std::string& kind, Ended how,
                 std::chrono::microseconds since_fired, const std::string& error, Clock::time_point now);
    // A handler that started (up), or that cannot start (failing since now, with `error`).
    void handler_started(const std::string& kind);
    void handler_failed(const std::string& kind, const std::string& error, Clock::time_point now);
    // Forgets the state (and notify_handler_up series) of every other handler kind.
    void keep_handlers(const std::set<std::string>& kinds);

    struct Failing {
        std::string kind;
        Clock::duration for_how_long;
        std::string error;
    };
    // Handlers that have been failing for longer than `after`, at `now`.
    std::vector<Failing> failing_longer_than(Clock::duration after, Clock::time_point now) const;

    // A listener's filter failed on an event (the listener did not get it).
    void filter_failed(const std::string& listener_id);
    // notify_deliveries_total, notify_delivery_duration_seconds, notify_handler_up and
    // notify_filter_errors_total.
    std::vector<prometheus::MetricFamily> collect() const;

private:
    struct HandlerState {
        std::optional<Clock::time_point> failing_since;
        std::string error;
        prometheus::Gauge* up = nullptr;
    };
    struct ListenerSeries {
        std::string kind;
        prometheus::Counter* delivered = nullptr;
        prometheus::Counter* retried = nullptr;
        prometheus::Counter* dead = nullptr;
    };
    HandlerState& handler_locked(const std::string& kind);
    ListenerSeries& listener_locked(const std::string& listener_id, const std::string& kind);

    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& deliveries_;
    prometheus::Family<prometheus::Histogram>& duration_;
    prometheus::Family<prometheus::Gauge>& handler_up_;
    prometheus::Family<prometheus::Counter>& filter_errors_;
    mutable std::mutex mutex_;  // guards the maps below
    std::map<std::string, prometheus::Counter*, std::less<>> filter_error_series_;  // by listener
    std::map<std::string, HandlerState, std::less<>> handlers_;
    std::map<std::string, ListenerSeries, std::less<>> listeners_;
    std::map<std::string, prometheus::Histogram*, std::less<>> durations_;  // by kind
};

}  // namespace notify::core
