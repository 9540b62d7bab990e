// RouteTable: one thread's cache from event type to the Signals2 signal of its slots (internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

// Word-wise and inline: event types are short, and a libc memcmp call would cost more than
// the comparison itself on the publish path.
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    const auto word = [](const char* p) {
        std::uint64_t w;
        std::memcpy(&w, p, sizeof w);
        return w;
    };
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 < n; i += 8) {
            if (word(a + i) != word(b + i)) return false;
        }
        return word(a + n - 8) == word(b + n - 8);  // the last word may overlap the one before
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

struct Route {
    std::string type;                    // empty marks a free slot (types are never empty)
    std::size_t hash = 0;
    std::unique_ptr<FastSignal> signal;  // null: nobody listens to this type

    bool is(std::string_view t, std::size_t h) const noexcept {
        return hash == h && type.size() == t.size() && same_bytes(type.data(), t.data(), t.size());
    }
};

// Open addressing with linear probing on the event's precomputed type hash.
// Not thread-safe: used by its owning thread only. Signals never move once inserted.
class RouteTable {
public:
    RouteTable() : slots_(16) {}

    // Only the slot the hash points at: the publish fast path. nullptr means "look further
    // with find()", not "unknown type".
    const Route* probe(std::string_view type, std::size_t hash) const noexcept {
        const Route& r = slots_[hash & mask_];
        return r.is(type, hash) ? &r : nullptr;
    }

    const Route* find(std::string_view type, std::size_t hash) const noexcept;

    const Route& insert(std::string_view type, std::size_t hash, std::unique_ptr<FastSignal> signal);
    std::size_t size() const noexcept { return size_; }

private:
    void grow();

    std::vector<Route> slots_;  // size is a power of two, at most half full
    std::size_t mask_ = 15;     // slots_.size() - 1
    std::size_t size_ = 0;
};

}  // namespace notify::core::detail
