// ListenerCache: the current listeners, kept in step with the store by polling (internal).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "notify/core/listener_store.hpp"

namespace notify::core {

// An immutable snapshot.
struct ListenerSet {
    std::map<std::string, std::shared_ptr<const Listener>, std::less<>> by_id;

    std::vector<std::shared_ptr<const Listener>> matching(std::string_view type) const;
};

// snapshot() and refresh() are safe from any thread (concurrent refreshes serialise).
class ListenerCache {
public:
    explicit ListenerCache(ListenerStore& store);

    std::shared_ptr<const ListenerSet> snapshot() const {
        std::lock_guard lock(current_mutex_);
        return current_;
    }
    // Reloads when another process (or this one) changed the listeners. True when it did.
    bool refresh();
    // refresh(), at most once per `interval`.
    void refresh_every(std::chrono::milliseconds interval);
    // refresh() if a listener was changed through this process's store object since the
    // last refresh: one atomic load otherwise. So a host that creates a listener and fires
    // at once sees it match.
    void refresh_if_changed_here() {
        if (store_.local_changes() != seen_local_.load(std::memory_order_acquire)) refresh();
    }

private:
    ListenerStore& store_;
    std::mutex mutex_;
    std::uint64_t revision_ = ~std::uint64_t{0};
    // A mutex, not std::atomic<std::shared_ptr>: libstdc++ 12 implements that with a lock
    // bit ThreadSanitizer cannot see. Copying a shared_ptr under it takes nanoseconds.
    mutable std::mutex current_mutex_;
    std::shared_ptr<const ListenerSet> current_;
    std::atomic<std::int64_t> next_check_ns_{0};
    std::atomic<std::uint64_t> seen_local_{0};
};

}  // namespace notify::core
