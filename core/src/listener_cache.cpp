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
    seen_local_.store(store_.local_changes(), std::memory_order_release);  // before reading: never miss one
    const auto revision = store_.revision();
    if (revision == revision_) return false;
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
