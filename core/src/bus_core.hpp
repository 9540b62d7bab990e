// Shared state of one EventBus: its subscriptions and their generation (internal).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "notify/core/event_bus.hpp"

namespace notify::core::detail {

struct SubscriptionState {
    SubscriptionState(TopicPattern p, EventBus::Slot s) : pattern(std::move(p)), slot(std::move(s)) {}

    const TopicPattern pattern;
    const EventBus::Slot slot;
    // Cleared first thing on unsubscribe; every call checks it, so a publisher holding an
    // older route never starts the slot after unsubscribe() returned.
    std::atomic<bool> active{true};
};

using SubscriptionList = std::vector<std::shared_ptr<SubscriptionState>>;

// Generation numbers come from one process-wide counter, so no two buses ever share one:
// a thread's cached view matches a bus exactly when their generations are equal.
std::uint64_t next_generation() noexcept;

struct BusCore {
    BusCore(std::uint64_t id, EventBus::ErrorCallback callback)
        : uid(id), on_error(std::move(callback)) {}

    // Never reused within a process, so a thread's cached view cannot mistake a new bus
    // allocated at a dead bus's address for the old one.
    const std::uint64_t uid;
    const EventBus::ErrorCallback on_error;

    std::mutex mutex;
    // Guarded by mutex. Replaced as a whole on every change, never modified in place.
    std::shared_ptr<const SubscriptionList> subscriptions = std::make_shared<SubscriptionList>();
    // Renewed (next_generation(), release order, under mutex) after every change of
    // `subscriptions`.
    std::atomic<std::uint64_t> generation{next_generation()};

    void add(std::shared_ptr<SubscriptionState> state);
    void remove(const SubscriptionState* state);
    // Hands a slot's exception to on_error; never throws.
    void report(const Event& event, std::exception_ptr error) const noexcept;
};

}  // namespace notify::core::detail
