// RouteTable: one thread's cache from event type to the Signals2 signal of its slots (internal).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/signals2/dummy_mutex.hpp>
#include <boost/signals2/signal_type.hpp>

#include "notify/core/event.hpp"

namespace notify::core::detail {

// Each thread owns its signals, so they need no locking: the lock-free publish path.
using FastSignal = boost::signals2::signal_type<
    void(const Event&), boost::signals2::keywords::mutex_type<boost::signals2::dummy_mutex>>::type;

struct Route {
    std::string type;                    // empty marks a free slot
    std::size_t hash = 0;
    std::unique_ptr<FastSignal> signal;  // null: nobody listens to this type
};

// Open addressing with linear probing on the event's precomputed type hash.
// Not thread-safe: used by its owning thread only. Signals never move once inserted.
class RouteTable {
public:
    RouteTable() : slots_(16) {}

    const Route* find(std::string_view type, std::size_t hash) const noexcept {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const Route& r = slots_[i];
            if (r.type.empty()) return nullptr;
            if (r.hash == hash && r.type == type) return &r;
        }
    }

    const Route& insert(std::string_view type, std::size_t hash, std::unique_ptr<FastSignal> signal);
    std::size_t size() const noexcept { return size_; }

private:
    void grow();

    std::vector<Route> slots_;  // size is a power of two, at most half full
    std::size_t size_ = 0;
};

}  // namespace notify::core::detail
