// Lane: one listener's deliveries held by this process's dispatcher (internal).
//
// A lane is a FIFO queue of deliveries waiting for a worker, plus the attempts under way,
// bounded by the listener's prefetch: fire() hands a fresh delivery to the lane while it
// has room, and parks it in the store behind the lane's backlog otherwise; the scheduler
// claims parked rows back in chunks of a quarter of the prefetch.
//
// The listener's rate (a token bucket) and mail budget (max_mails_per_hour, for a handler
// that takes digests) hold attempts back until `hold_until`; nothing is dropped. A lane
// that collects (a digest listener, or one whose budget ran out) hands everything queued
// to one attempt: one message listing them all.
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

// Events one digest message lists, at most; a digest lane holds this many in memory.
inline constexpr std::size_t max_digest_events = 1000;
inline constexpr Micros micros_per_hour = 3'600'000'000;

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
    bool digests = false;             // the handler takes digests (HandlerFactory::takes_digests())
    Micros hold_until = 0;            // no attempt starts before then (rate limit, mail budget)
    double tokens = 0;                // the rate's bucket, as of tokens_at
    Micros tokens_at = 0;
    std::deque<Micros> messages;      // starts of attempts within the last hour (max_mails_per_hour)
    bool flooded = false;             // the mail budget held events back: the next message lists them all

    // Sets the rate's bucket full (a new listener, or its rate changed).
    void reset_rate(Micros now) noexcept {
        tokens = listener->rate.count;
        tokens_at = now;
    }

    // Does the next attempt carry everything queued as one message?
    bool collecting() const noexcept { return digests && (listener->digest.count() > 0 || flooded); }

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

    // Could a worker start attempts of this lane at `now`?
    bool can_start(Micros now) const noexcept {
        return handler != nullptr && !queue.empty() && in_flight < limit && !starting && now >= hold_until;
    }

    // Moves the next deliveries from the queue to under way, in order: as many as the limit
    // leaves room for, at most `max_batch`, for an asynchronous handler (marking the lane
    // starting until finish_start()); one for a blocking handler; everything queued (up to
    // max_digest_events) when collecting(), setting `one_message`. Takes a token of the rate
    // per message and records the message against the mail budget; sets hold_until when
    // either is used up.
    std::vector<QueuedDelivery> take_batch(std::size_t max_batch, Micros now, bool& one_message) {
        one_message = collecting();
        const int room = asynchronous ? limit - in_flight : 1;
        std::size_t n = one_message ? std::min(queue.size(), max_digest_events)
                                    : std::min({queue.size(), static_cast<std::size_t>(std::max(0, room)), max_batch});
        const auto& rate = listener->rate;
        if (rate.limited()) {
            const double per_us = static_cast<double>(rate.per.count()) * 1000.0;
            tokens = std::min<double>(rate.count, tokens + static_cast<double>(now - tokens_at) * rate.count / per_us);
            tokens_at = now;
            const auto whole = static_cast<std::size_t>(std::max(0.0, tokens));
            if (whole == 0) n = 0;
            if (!one_message) n = std::min(n, whole);
            tokens -= one_message ? std::min<double>(1, static_cast<double>(n)) : static_cast<double>(n);
            if (tokens < 1) hold_until = now + static_cast<Micros>((1 - tokens) * per_us / rate.count) + 1;
        }
        if (n > 0 && digests && listener->max_mails_per_hour > 0) {
            while (!messages.empty() && messages.front() <= now - micros_per_hour) messages.pop_front();
            messages.insert(messages.end(), one_message ? 1 : n, now);
            if (messages.size() >= static_cast<std::size_t>(listener->max_mails_per_hour)) {
                hold_until = std::max(hold_until, messages.front() + micros_per_hour);
                flooded = true;  // what comes meanwhile waits for one message
            } else if (one_message) {
                flooded = false;
            }
        }
        std::vector<QueuedDelivery> batch;
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(queue.front()));
            queue.pop_front();
        }
        in_flight += static_cast<int>(n);
        starting = asynchronous && n > 0;
        if (n == 0) one_message = false;
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
