// Listener snapshots and their refresh.
#include "listener_cache.hpp"

namespace notify::core {

std::vector<std::shared_ptr<const Listener>> ListenerSet::matching(std::string_view type) const {
    std::vector<std::shared_ptr<const Listener>> out;
    for (const auto& [id, listener] : by_id) {
        if (listener->matches(type)) out.push_back(listener);
    }
    return out;
}

ListenerCache::ListenerCache(ListenerStore& store) : store_(store), current_(std::make_shared<const ListenerSet>()) {
    refresh();
}

bool ListenerCache::refresh() {
    std::lock_guard lock(mutex_);
    // Read before the store, so no change is missed; published only once the snapshot that
    // holds it is in place: refresh_if_changed_here() on another thread must not skip its
    // refresh while this one is still reading (its fire() would not see the new listener).
    const auto local = store_.local_changes();
    const auto revision = store_.revision();
    if (revision == revision_) {
        seen_local_.store(local, std::memory_order_release);
        return false;
    }
    auto set = std::make_shared<ListenerSet>();
    for (auto& l : store_.list()) {
        auto id = l.id;
        set->by_id.emplace(std::move(id), std::make_shared<const Listener>(std::move(l)));
    }
    {
        std::lock_guard swap_lock(current_mutex_);
        current_ = std::move(set);
    }
    revision_ = revision;
    seen_local_.store(local, std::memory_order_release);
    return true;
}

void ListenerCache::refresh_every(std::chrono::milliseconds interval) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto next = next_check_ns_.load(std::memory_order_relaxed);
    if (now < next) return;
    const auto then = now + std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count();
    if (!next_check_ns_.compare_exchange_strong(next, then)) return;  // another thread checks
    refresh();
}

}  // namespace notify::core
