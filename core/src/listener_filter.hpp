// Which of an event's matching listeners take it, by their jq filters (internal).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "delivery_metrics.hpp"
#include "notify/core/event.hpp"
#include "notify/core/listener.hpp"
#include "notify/core/log.hpp"

namespace notify::core {

// Thread-safe: fire() calls apply() from any thread; each thread runs its own jq states.
class ListenerFilter {
public:
    ListenerFilter(LogFunction log, DeliveryMetrics& metrics) : log_(std::move(log)), metrics_(metrics) {}

    // Removes from `listeners` each one whose filter does not take `event`: its first
    // output is not `true`, or it fails on the event (a jq error: counted in
    // notify_filter_errors_total and logged, once a minute per listener). Listeners
    // without a filter stay; nothing is done when none has one. Returns the event's JSON
    // text when it made it (for the outbox row), else an empty string.
    std::string apply(const Event& event, std::vector<std::shared_ptr<const Listener>>& listeners);

private:
    void failed(const Listener& listener, const std::string& error);

    LogFunction log_;
    DeliveryMetrics& metrics_;
    std::mutex mutex_;  // guards logged_
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> logged_;  // by listener id
};

}  // namespace notify::core
