// The dispatcher's scheduler: claims parked rows that are due into the lanes, watches the
// store for other processes' commits, and keeps the process's lease and the store's log.
#include <algorithm>
#include <exception>
#include <iterator>
#include <utility>

#include "dispatcher.hpp"
#include "notify/core/error.hpp"

namespace notify::core {

namespace {

// A busy lane's pause between claims (Lane::claimed()): at 10,000 deliveries a second, a
// claim of about 10 rows per store write instead of one, and far less than the work its
// handler already has.
constexpr Micros claim_linger_us = 1000;

// A lane whose listener another process delivers (Outbox::claim) tries again this often: a
// few store reads a second, and the other process's rows are usually gone by then.
constexpr Micros held_elsewhere_pause_us = 100'000;

std::chrono::steady_clock::time_point steady_at(Micros wall_target, Micros wall_now) {
    const auto delta = std::chrono::microseconds(std::max<Micros>(0, wall_target - wall_now));
    return std::chrono::steady_clock::now() + delta;
}

}  // namespace

void Dispatcher::poll_parked() {
    std::vector<std::string> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, lane] : lanes_) {
            if (lane.handler != nullptr) ids.push_back(id);
        }
    }
    for (const auto& id : ids) {
        const auto due = outbox_.next_due(id);
        std::lock_guard lock(mutex_);
        if (auto it = lanes_.find(id); it != lanes_.end()) it->second.next_parked = due.value_or(no_parked_row);
    }
}

void Dispatcher::claim_due(Micros chosen_at) {
    struct Want {
        std::string id;
        std::size_t room;
        std::uint64_t parks;  // the lane's park count when the claim started
        Micros ahead;         // a digest lane takes rows due this much later too: its window's events
    };
    std::vector<Want> wants;
    {
        std::lock_guard lock(mutex_);
        // Claim in chunks: only when a quarter of the lane is free, or it ran dry.
        for (auto& [id, lane] : lanes_) {
            const auto prefetch = prefetch_of(lane);
            if (lane.claim_at() > chosen_at || !lane.wants_refill(prefetch)) continue;
            const Micros ahead = lane.digests ? lane.listener->digest.count() * 1000 : 0;
            wants.push_back({id, lane.refill_room(prefetch), lane.parks, ahead});
        }
    }
    // The claim's "now" is read after the park counts: a row fire() parked before a count
    // was read is due by then and claimed with the others. Read before them, such a row
    // (due a moment after "now") was left behind while the lane took its backlog for
    // drained, and the next fresh fire overtook it.
    const Micros now = now_micros();
    for (const auto& want : wants) {
        auto rows = outbox_.claim(want.id, now, want.room, owner_);
        // The claimed rows are this process's now: they reach the lane whatever follows, or
        // no one would attempt them before this process stops.
        std::exception_ptr failed;
        // A digest's rows are each due a window after their event: once the first is due, the
        // window is closed and the rows fired since go with it.
        if (want.ahead > 0 && !rows.empty() && rows.size() < want.room) {
            try {
                auto more = outbox_.claim(want.id, now + want.ahead, want.room - rows.size(), owner_);
                rows.insert(rows.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
            } catch (...) {
                failed = std::current_exception();
            }
        }
        bool drained = !failed && rows.size() < want.room;
        std::optional<Micros> next;
        if (drained) {
            try {
                next = outbox_.next_due(want.id);
            } catch (...) {
                failed = std::current_exception();
                drained = false;  // unknown: look again once the store answers
            }
        }
        // The events are read by the workers that take them, in parallel, not here.
        std::vector<QueuedDelivery> ready;
        ready.reserve(rows.size());
        for (auto& row : rows) {
            ready.push_back({row.seq, std::move(row.delivery_id), nullptr, row.created_at, row.attempts,
                             std::move(row.event_json)});
        }
        std::lock_guard lock(mutex_);
        auto it = lanes_.find(want.id);
        if (it == lanes_.end()) continue;  // removed meanwhile; rows were deleted with it
        const bool work = !ready.empty();
        it->second.claimed(std::move(ready), drained, want.parks, next, now, claim_linger_us);
        // Rows are due, yet none came: another process holds rows of the listener (or is
        // taking them). Look again a little later rather than at once.
        if (!work && drained && next && *next <= now) it->second.next_claim = now + held_elsewhere_pause_us;
        // One worker at a time hands an asynchronous lane's batch over; a blocking lane's
        // deliveries may each take a worker.
        if (work && it->second.asynchronous) work_ready_.notify_one();
        if (work && !it->second.asynchronous) work_ready_.notify_all();
        if (failed) std::rethrow_exception(failed);
    }
}

void Dispatcher::rejoin(Micros now) {
    // Another process took this one for dead (silent longer than the lease: stopped,
    // paused, starved) and parked its rows, which anyone may claim now. The deliveries
    // queued here may be among them: drop them all and park those still ours (fired
    // since), so that each is claimed again, once, in order. Attempts under way end as
    // they will; an outcome is stored only for a row this process still holds, so a row
    // attempted here while another process (or this one, claiming it back) attempts it too
    // is delivered twice: the takeover window of docs/delivery.md.
    outbox_.rejoin(self_, owner_, now);  // throws: nothing changed, the next heartbeat tries again
    std::map<std::string, std::deque<QueuedDelivery>, std::less<>> dropped;
    std::vector<std::int64_t> seqs;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, lane] : lanes_) {
            if (lane.queue.empty()) continue;
            for (const auto& d : lane.queue) seqs.push_back(d.seq);
            dropped[id] = std::exchange(lane.queue, {});
            lane.backlog = true;  // fresh fires park behind what was dropped
            lane.next_parked = 0;
        }
    }
    try {
        outbox_.park(seqs, owner_, now);
    } catch (...) {
        // Rows still ours would wait for this process's end: queue them again instead.
        std::lock_guard lock(mutex_);
        for (auto& [id, queue] : dropped) {
            if (auto it = lanes_.find(id); it != lanes_.end()) {
                auto& lane = it->second.queue;
                lane.insert(lane.begin(), std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
            }
        }
        work_ready_.notify_all();
        throw;
    }
    log(LogLevel::warning, "another process took this one for dead (no heartbeat stored for longer than the lease) "
                           "and took over its deliveries; registered again, " + std::to_string(seqs.size()) +
                           " queued deliveries handed back to the store; attempts under way may be repeated");
    poll_parked();
}

void Dispatcher::schedule_loop() {
    using clock = std::chrono::steady_clock;
    const auto poll = options_.poll_interval;
    const auto heartbeat_every = std::max(options_.lease / 3, std::chrono::milliseconds(50));
    auto next_refresh = clock::now();
    auto next_heartbeat = clock::now() + heartbeat_every;
    auto next_poll = clock::now() + poll;
    auto next_checkpoint = clock::now() + std::chrono::milliseconds(500);
    const auto watch = options_.watch_interval;
    const bool watching = outbox_.durable() && watch.count() > 0;
    auto next_watch = clock::now() + watch;
    // After a failure (the store unreachable), the next round waits this long, doubling up
    // to 5 s: a times-due-now loop must not spin or flood the log.
    std::chrono::milliseconds failure_pause{0};
    Micros next_hold = no_parked_row;  // the earliest end of a lane's hold (rate, mail budget)
    while (true) {
        try {
            auto now = clock::now();
            if (watching && now >= next_watch) {
                next_watch = now + watch;
                // A commit: perhaps another process fired (or a dead letter was retried), or
                // changed a listener, which must apply before that process's next event.
                if (outbox_.changed()) next_poll = next_refresh = now;
            }
            if (now >= next_refresh) {
                listeners_.refresh();
                std::lock_guard lock(mutex_);
                sync_lanes();
                next_refresh = now + poll;
            }
            if (outbox_.durable() && now >= next_heartbeat) {
                const Micros wall = now_micros();
                if (!outbox_.heartbeat(owner_, wall)) rejoin(wall);
                if (outbox_.adopt_dead(self_, owner_, wall, options_.lease.count() * 1000) > 0) poll_parked();
                next_heartbeat = now + heartbeat_every;
            }
            if (outbox_.durable() && now >= next_checkpoint) {
                outbox_.checkpoint();  // keeps the write-ahead log short; never blocks fire()
                next_checkpoint = now + std::chrono::milliseconds(500);
            }
            if (now >= next_poll) {
                poll_parked();  // rows other processes parked
                next_poll = now + poll;
            }
            check_stalls();
            claim_due(now_micros());
            next_hold = release_holds(now_micros());
            failure_pause = std::chrono::milliseconds(0);
        } catch (const std::exception& e) {
            log(LogLevel::error, std::string("delivery scheduler: ") + e.what());
            failure_pause = std::clamp(failure_pause * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
        }
        std::unique_lock lock(mutex_);
        if (stopping_) break;
        auto wake = std::min(next_refresh, next_poll);
        // The in-memory outbox has no lease to renew and no log to checkpoint: those times
        // never move on, and waking for them would spin.
        if (outbox_.durable()) wake = std::min({wake, next_heartbeat, next_checkpoint});
        if (watching) wake = std::min(wake, next_watch);
        const Micros wall = now_micros();
        for (const auto& [id, lane] : lanes_) {
            if (lane.claim_at() != no_parked_row && lane.wants_refill(prefetch_of(lane))) {
                wake = std::min(wake, steady_at(lane.claim_at(), wall));
            }
        }
        if (next_hold != no_parked_row) wake = std::min(wake, steady_at(next_hold, wall));
        if (failure_pause.count() > 0) wake = std::max(wake, clock::now() + failure_pause);
        schedule_wake_.wait_until(lock, wake);
        if (stopping_) break;
    }
}

}  // namespace notify::core
