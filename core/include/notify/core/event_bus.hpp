// EventBus: in-process publish/subscribe of events by topic pattern, on Boost.Signals2.
//
// Guarantees (tested in tests/core/event_bus_test.cpp):
// - Thread safety: subscribe(), publish(), Subscription::unsubscribe() and destruction of a
//   Subscription may run concurrently from any threads. publish() takes no lock on its fast
//   path, so threads firing at once do not contend.
// - Slots run synchronously on the publishing thread. For one publish() call, matching slots
//   run in the order they subscribed. Publishes from one thread reach each slot in the order
//   they were made; publishes from different threads are not ordered, and a slot may run on
//   several threads at once, so it must be thread-safe when more than one thread publishes.
// - Exceptions: a throwing slot never stops the other slots and never reaches the publisher;
//   the exception goes to the bus's error callback (default: one line on stderr).
// - Unsubscribe: once unsubscribe() (or the Subscription's destructor) has returned, no
//   publish() that starts afterwards calls the slot. A call already under way on another
//   thread may still finish; if the slot refers to an object you are about to destroy, make
//   sure such publishers are done first (as with any Signals2 connection).
// - A slot's callable is destroyed once no thread's cached routes hold it: when each thread
//   that published on the bus next publishes on it (or, once the bus is gone, first
//   publishes on another bus), or when that thread exits.
// - Re-entrancy: a slot may publish, subscribe and unsubscribe (itself included).
// - The bus must outlive publish() calls on it; Subscriptions may outlive the bus.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

#include "notify/core/event.hpp"
#include "notify/core/topic_pattern.hpp"

namespace notify::core {

namespace detail {
struct BusCore;
struct SubscriptionState;
}  // namespace detail

// Owns one subscription; destroying it unsubscribes. Move-only.
class Subscription {
public:
    Subscription() noexcept = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();

    // Idempotent; see the unsubscribe guarantee above. Thread-safe.
    void unsubscribe() noexcept;
    // False once unsubscribed (or for a default-constructed Subscription).
    bool active() const noexcept;

private:
    friend class EventBus;
    Subscription(std::weak_ptr<detail::BusCore> bus, std::shared_ptr<detail::SubscriptionState> state);

    std::weak_ptr<detail::BusCore> bus_;
    std::shared_ptr<detail::SubscriptionState> state_;
};

class EventBus {
public:
    using Slot = std::function<void(const Event&)>;
    // Receives what a slot threw. Called on the publishing thread; must be thread-safe.
    // Anything it throws is swallowed.
    using ErrorCallback = std::function<void(const Event&, std::exception_ptr)>;

    explicit EventBus(ErrorCallback on_error = {});
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    // Calls `slot` for every published event whose type matches `pattern`.
    // Throws notify::ValidationError for an invalid pattern, std::invalid_argument for an
    // empty slot.
    [[nodiscard]] Subscription subscribe(std::string_view pattern, Slot slot);
    [[nodiscard]] Subscription subscribe(const TopicPattern& pattern, Slot slot);

    // Runs the matching slots now, on this thread. Never throws.
    void publish(const Event& event) const noexcept;

    // Number of active subscriptions.
    std::size_t subscriber_count() const;

private:
    std::shared_ptr<detail::BusCore> core_;
};

}  // namespace notify::core
