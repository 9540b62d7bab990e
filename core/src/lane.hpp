// Lane: one listener's deliveries held by this process's dispatcher (internal).
//
// A lane is a FIFO queue of deliveries waiting for a worker, plus the attempts under way,
// bounded by the listener's prefetch: fire() hands a fresh delivery to the lane while it
// has room, and parks it in the store behind the lane's backlog otherwise; the scheduler
// claims parked rows back in chunks of a quarter of the prefetch.
//
// Not thread-safe: the dispatcher guards every lane with its mutex. No method blocks,
// throws (beyond std::bad_alloc) or touches the store, so the rules are tested without
// threads (tests/core/lane_test.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notify/core/event.hpp"
#include "notify/core/handler.hpp"
#include "notify/core/listener.hpp"

namespace notify::core {

using Micros = std::int64_t;  // microseconds since the epoch, UTC

// No parked row known.
inline constexpr Micros no_parked_row = std::numeric_limits<Micros>::max();

// A delivery this process holds in memory: its outbox row and the event it carries.
struct QueuedDelivery {
    std::int64_t seq;
    std::string delivery_id;
    std::shared_ptr<const Event> event;  // null until a worker reads event_json (a claimed row)
    Micros created_at;
    int attempts;            // made so far
    std::string event_json;  // a claimed row's stored event, read by the worker that takes it
};

struct Lane {
    std::shared_ptr<const Listener> listener;
    Handler* handler = nullptr;  // null: no handler of its kind here; the lane stays idle
    int limit = 1;               // deliveries under way at once: the handler's window or listener_concurrency
    bool asynchronous = false;   // the handler confirms through deliver_async() callbacks
    bool starting = false;       // a worker is handing a batch to the (asynchronous) handler
    std::deque<QueuedDelivery> queue;
    std::size_t reserved = 0;  // fire()s whose owned row is being committed (see Dispatcher::Reservation)
    int in_flight = 0;
    int stalled = 0;                  // of in_flight: attempts whose worker stalled
    Micros next_parked = 0;           // earliest due time of parked rows; no_parked_row = none known
    Micros next_claim = 0;            // a busy lane's next claim waits until then (see claimed())
    bool backlog = false;             // parked rows are due: fresh fires park too, keeping order
    std::size_t parking = 0;          // fire()s parking a row right now (insert not yet committed)
    std::uint64_t parks = 0;          // rows parked by fire() so far

    // Deliveries this process holds for the listener: queued, reserved and under way.
    std::size_t held() const noexcept { return queue.size() + reserved + static_cast<std::size_t>(in_flight); }

    // Parked rows are claimed this many at a time, at least.
    static std::size_t refill_chunk(std::size_t prefetch) noexcept { return std::max<std::size_t>(1, prefetch / 4); }

    // May fire() hand a fresh delivery straight to this lane? Not once a backlog is parked
    // (the fresh one would overtake it), nor beyond the prefetch.
    bool has_room(std::size_t prefetch) const noexcept { return !backlog && held() < prefetch; }

    // Is claiming parked rows worth a store write now: a chunk of the lane is free, or its
    // queue ran dry? How many: refill_room().
    bool wants_refill(std::size_t prefetch) const noexcept {
        return handler != nullptr && held() < prefetch && (held() + refill_chunk(prefetch) <= prefetch || queue.empty());
    }
    std::size_t refill_room(std::size_t prefetch) const noexcept { return prefetch - std::min(prefetch, held()); }

    // When the scheduler should next claim parked rows for this lane; no_parked_row: none
    // are known.
    Micros claim_at() const noexcept {
        return next_parked == no_parked_row ? no_parked_row : std::max(next_parked, next_claim);
    }

    // Could a worker start attempts of this lane now?
    bool can_start() const noexcept { return handler != nullptr && !queue.empty() && in_flight < limit && !starting; }

    // Moves the next deliveries from the queue to under way, in order: as many as the limit
    // leaves room for, at most `max_batch`, for an asynchronous handler (marking the lane
    // starting until finish_start()); one for a blocking handler.
    std::vector<QueuedDelivery> take_batch(std::size_t max_batch) {
        const int room = asynchronous ? limit - in_flight : 1;
        const std::size_t n = std::min({queue.size(), static_cast<std::size_t>(std::max(0, room)), max_batch});
        std::vector<QueuedDelivery> batch;
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(queue.front()));
            queue.pop_front();
        }
        in_flight += static_cast<int>(n);
        starting = asynchronous && n > 0;
        return batch;
    }
    void finish_start() noexcept { starting = false; }

    // An attempt ended (its outcome is being recorded). True when the lane was held up by
    // its limit with work queued, so that a worker should look again.
    bool attempt_ended(bool was_stalled) noexcept {
        const bool was_full = in_flight >= limit && !queue.empty();
        if (in_flight > 0) --in_flight;
        if (was_stalled && stalled > 0) --stalled;
        return was_full;
    }

    // Parked rows were claimed back, oldest first, by a claim that began when `parks` was
    // `parks_before`. `drained`: fewer rows came back than were asked for, and `next_due` is
    // then the earliest parked row left. The backlog ends only when nothing due is left
    // parked and no fire() parked a row meanwhile, so fresh fires never overtake parked ones.
    // A drained lane that still has work lingers `linger` before its next claim, so that rows
    // fire() parks one by one are claimed many to a store write, not one each.
    void claimed(std::vector<QueuedDelivery> rows, bool drained, std::uint64_t parks_before,
                 std::optional<Micros> next_due, Micros now, Micros linger) {
        for (auto& d : rows) queue.push_back(std::move(d));
        next_claim = drained && (in_flight > 0 || !queue.empty()) ? now + linger : now;
        if (drained && parking == 0 && parks == parks_before) {
            backlog = false;
            next_parked = next_due.value_or(no_parked_row);
        } else if (drained) {
            next_parked = std::min(next_due.value_or(no_parked_row), now);
        } else {
            next_parked = now;  // more may be due once there is room
        }
    }

    // A row of this lane was parked in the store, due at `due_at`. True when it is due
    // sooner than any parked row known before (the scheduler should look again).
    bool park(Micros due_at) noexcept {
        ++parks;
        const bool sooner = due_at < next_parked;
        next_parked = std::min(next_parked, due_at);
        return sooner;
    }
};

}  // namespace notify::core
