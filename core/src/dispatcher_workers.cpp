// The dispatcher's workers: picking a lane, handing its deliveries to the handler, and
// taking each attempt's end back (see dispatcher.hpp for the sharing rules).
#include <pthread.h>

#include <algorithm>
#include <atomic>

#include "dispatcher.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

namespace {

constexpr std::size_t max_async_batch = 64;  // deliveries one worker hands an asynchronous handler at once

}  // namespace

thread_local Dispatcher::Worker* Dispatcher::current_worker = nullptr;

void Dispatcher::start_worker_locked(bool asynchronous_only, bool spare) {
    Worker& w = workers_.emplace_back();
    w.asynchronous_only = asynchronous_only;
    w.spare = spare;
    if (!asynchronous_only) ++general_workers_;
    w.thread = std::thread([this, &w] { work_loop(&w); });
    pthread_setname_np(w.thread.native_handle(),
                       asynchronous_only ? "notify-async" : spare ? "notify-spare" : "notify-worker");
}

int Dispatcher::share_locked() const {
    int wanting = 0;
    const Micros now = now_micros();
    for (const auto& [id, lane] : lanes_) {
        if (lane.asynchronous || lane.handler == nullptr) continue;
        const bool waiting = !lane.queue.empty() && lane.in_flight < lane.limit && lane.hold_until <= now;
        if (waiting || lane.in_flight - lane.stalled > 0) ++wanting;
    }
    return std::max(1, options_.workers / std::max(1, wanting));
}

void Dispatcher::check_stalls() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::thread> ended;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        for (auto& w : workers_) {
            if (!w.busy || w.stalled || now - w.busy_since < stall_after) continue;
            w.stalled = true;
            ++stalled_workers_;
            if (auto it = lanes_.find(w.lane); it != lanes_.end()) ++it->second.stalled;
        }
        while (general_workers_ - stalled_workers_ < options_.workers &&
               general_workers_ < options_.workers + max_spare_workers) {
            start_worker_locked(false, true);
        }
        for (auto it = workers_.begin(); it != workers_.end();) {
            if (it->exited) {
                ended.push_back(std::move(it->thread));
                it = workers_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& t : ended) t.join();
}

Lane* Dispatcher::pick_locked(bool asynchronous_only, bool take, Micros now) {
    if (lanes_.empty()) return nullptr;
    const int share = asynchronous_only ? 0 : share_locked();
    // First a lane below its share of the workers, then any lane below its limit (a worker
    // nobody below their share wants); round robin from the lane after the last one picked
    // within each pass, so one busy listener cannot starve others.
    for (const bool within_share : {true, false}) {
        auto it = lanes_.upper_bound(last_picked_);
        for (std::size_t i = 0; i < lanes_.size(); ++i, ++it) {
            if (it == lanes_.end()) it = lanes_.begin();
            Lane& lane = it->second;
            if (!lane.can_start(now)) continue;
            if (!lane.asynchronous && (asynchronous_only || (within_share && lane.in_flight - lane.stalled >= share))) {
                continue;
            }
            if (take) last_picked_ = it->first;
            return &lane;
        }
    }
    return nullptr;
}

Completion Dispatcher::decide(const DeliveryResult& result, const QueuedDelivery& d, Micros now) {
    const int attempts = d.attempts + 1;
    // A detail often quotes a server; whatever it holds stays one printable line.
    const std::string detail = escape_controls(result.detail());
    switch (result.outcome()) {
        case DeliveryResult::Outcome::delivered:
            return {d.seq, Completion::Kind::delivered, attempts, 0, {}};
        case DeliveryResult::Outcome::failed:
            return {d.seq, Completion::Kind::dead, attempts, now, "rejected: " + detail};
        case DeliveryResult::Outcome::retry:
            break;
    }
    double unit = 0;
    {
        std::lock_guard lock(mutex_);
        unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    }
    const auto delay = options_.retry.delay(attempts, unit, result.retry_after());
    const auto age = std::chrono::milliseconds((now - d.created_at) / 1000);
    if (auto reason = options_.retry.give_up(attempts, age, delay)) {
        return {d.seq, Completion::Kind::dead, attempts, now, *reason + "; last error: " + detail};
    }
    return {d.seq, Completion::Kind::retry, attempts, now + delay.count() * 1000, detail};
}

void Dispatcher::work_loop(Worker* self) {
    const bool asynchronous_only = self->asynchronous_only;
    current_worker = self;
    while (true) {
        std::unique_lock lock(mutex_);
        Lane* lane = nullptr;
        bool surplus = false;
        work_ready_.wait(lock, [&] {
            if (stopping_) return true;
            // More workers than needed since stalled attempts ended: a spare goes.
            surplus = self->spare && general_workers_ - stalled_workers_ > options_.workers;
            if (surplus) return true;
            const Micros now = now_micros();
            lane = pick_locked(asynchronous_only, true, now);
            // A wake-up meant for a blocking lane, which this worker does not take: pass it on.
            if (lane == nullptr && asynchronous_only && pick_locked(false, false, now) != nullptr) work_ready_.notify_one();
            return lane != nullptr;
        });
        if (stopping_) return;  // queued deliveries stay owned; stop() parks them
        if (surplus) {
            --general_workers_;
            self->exited = true;
            return;
        }
        const std::string listener_id = lane->listener->id;
        // A blocking handler gets one delivery per worker. An asynchronous one gets them in
        // batches from one worker at a time, so they reach it (and the wire) in fire order.
        bool one_message = false;
        const Micros taken_at = now_micros();
        std::vector<QueuedDelivery> batch = lane->take_batch(max_async_batch, taken_at, one_message);
        const bool held = lane->hold_until > taken_at && !lane->queue.empty();
        if (batch.empty()) {  // the rate's bucket had less than a token left: held until it has one
            lock.unlock();
            if (held) schedule_wake_.notify_one();
            continue;
        }
        const bool asynchronous = lane->asynchronous;
        if (!asynchronous) {
            self->busy = true;
            self->busy_since = std::chrono::steady_clock::now();
            self->lane = listener_id;
        }
        const auto listener = lane->listener;
        Handler* handler = lane->handler;
        const bool refill = lane->next_parked != no_parked_row && lane->wants_refill(prefetch_of(*lane));
        lock.unlock();
        // The scheduler wakes the workers when a hold (rate, mail budget) ends.
        if (refill || held) schedule_wake_.notify_one();

        // Blocking handlers call back on this thread before deliver_async() returns;
        // asynchronous ones later, from their own thread.
        const auto worker = std::this_thread::get_id();
        // Claimed rows: their stored events are read here. One that cannot be read is dead.
        std::erase_if(batch, [&](QueuedDelivery& d) {
            if (d.event) return false;
            try {
                d.event = std::make_shared<const Event>(event_from_json(nlohmann::json::parse(d.event_json)));
                std::string().swap(d.event_json);
                return false;
            } catch (const std::exception& e) {
                const Completion unreadable{d.seq, Completion::Kind::dead, d.attempts, now_micros(),
                                            std::string("stored event unreadable: ") + e.what()};
                finish(listener_id, d, unreadable, true);
                return true;
            }
        });
        if (one_message && batch.size() > 1) {
            deliver_digest(listener, handler, std::move(batch), worker);
            batch.clear();
        }
        for (auto& d : batch) {
            const Delivery delivery{d.delivery_id, d.event, listener, d.attempts + 1, {}};
            // A handler that throws (a plugin's bug) costs this attempt, never the process;
            // its `done`, should it still come, is then ignored.
            struct Attempt {
                QueuedDelivery queued;
                std::atomic<bool> finished{false};
            };
            auto attempt = std::make_shared<Attempt>();
            attempt->queued = std::move(d);
            const auto fail = [&](const std::string& what) {
                if (attempt->finished.exchange(true)) return;
                finish(listener_id, attempt->queued,
                       DeliveryResult::retry("the " + listener->kind + " handler threw: " + what), true);
            };
            try {
                handler->deliver_async(delivery, [this, listener_id, attempt, worker](DeliveryResult result) {
                    if (attempt->finished.exchange(true)) return;
                    finish(listener_id, attempt->queued, result, std::this_thread::get_id() == worker);
                });
            } catch (const std::exception& e) {
                fail(e.what());
            } catch (...) {
                fail("an unknown exception");
            }
        }
        if (asynchronous) {
            lock.lock();
            // The lane may be gone (listener removed): look it up again.
            if (auto it = lanes_.find(listener_id); it != lanes_.end()) it->second.finish_start();
        }
    }
}

void Dispatcher::deliver_digest(const std::shared_ptr<const Listener>& listener, Handler* handler,
                                std::vector<QueuedDelivery> rows, std::thread::id worker) {
    struct Attempt {
        std::vector<QueuedDelivery> rows;
        std::atomic<bool> finished{false};
    };
    auto attempt = std::make_shared<Attempt>();
    Delivery delivery{rows.front().delivery_id, rows.front().event, listener, 1, {}};
    for (const auto& row : rows) {
        delivery.attempt = std::max(delivery.attempt, row.attempts + 1);
        delivery.digest.push_back(row.event);
    }
    attempt->rows = std::move(rows);
    const std::string listener_id = listener->id;
    const auto end = [this, listener_id, attempt, worker](const DeliveryResult& result) {
        if (attempt->finished.exchange(true)) return;
        finish_digest(listener_id, attempt->rows, result, std::this_thread::get_id() == worker);
    };
    try {
        handler->deliver_async(delivery, end);
    } catch (const std::exception& e) {
        end(DeliveryResult::retry("the " + listener->kind + " handler threw: " + e.what()));
    } catch (...) {
        end(DeliveryResult::retry("the " + listener->kind + " handler threw an unknown exception"));
    }
}

void Dispatcher::finish_digest(const std::string& listener_id, const std::vector<QueuedDelivery>& rows,
                               const DeliveryResult& result, bool on_worker) {
    // The oldest row decides (its age gives up first); every row gets that outcome, so the
    // digest is retried, or given up, as one.
    const Completion decided = decide(result, rows.front(), now_micros());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        Completion c = decided;
        c.seq = rows[i].seq;
        c.attempts = rows[i].attempts + 1;
        finish(listener_id, rows[i], std::move(c), on_worker && i == 0);
    }
}

void Dispatcher::finish(const std::string& listener_id, const QueuedDelivery& d, const DeliveryResult& result,
                        bool on_worker) {
    finish(listener_id, d, decide(result, d, now_micros()), on_worker);
}

void Dispatcher::finish(const std::string& listener_id, const QueuedDelivery& d, Completion completion, bool on_worker) {
    std::unique_lock lock(mutex_);
    bool lane_was_full = false;
    // A blocking attempt ends on its worker: that worker is free again (and no longer stalled).
    Worker* worker = on_worker ? current_worker : nullptr;
    const bool was_stalled = worker != nullptr && worker->busy && worker->stalled;
    if (worker != nullptr && worker->busy) {
        worker->busy = false;
        if (worker->stalled) {
            worker->stalled = false;
            --stalled_workers_;
        }
    }
    std::string kind;
    bool refill = false;
    if (auto it = lanes_.find(listener_id); it != lanes_.end()) {
        Lane& lane = it->second;
        kind = lane.listener->kind;
        // A lane held at its prefetch with rows parked behind it: the scheduler waits for
        // room, which this ending may just have made.
        const bool wanted = lane.wants_refill(prefetch_of(lane));
        lane_was_full = lane.attempt_ended(was_stalled);
        refill = !wanted && lane.next_parked != no_parked_row && lane.wants_refill(prefetch_of(lane));
    }
    // The row stays ours until the recorder stored the outcome, so nobody else takes it.
    outcomes_.push_back({listener_id, std::move(kind), std::move(completion), d.delivery_id, d.event ? d.event->type() : std::string(),
                         d.created_at});
    // Wake only who has news: the recorder when it waits for a first outcome or a full
    // batch, stop() when it waits for the last delivery, the scheduler when the lane has
    // room for parked rows again, a worker when the lane was held up
    // by its limit and no worker is about to look (a worker calling back takes the next
    // one itself).
    const bool wake_recorder = outcomes_.size() == 1 || outcomes_.size() >= record_batch_limit;
    const bool wake_stop = stopping_;
    lock.unlock();
    if (wake_recorder) recorder_wake_.notify_one();
    if (wake_stop) idle_.notify_all();
    if (refill) schedule_wake_.notify_one();
    if (!on_worker && lane_was_full) work_ready_.notify_one();
    if (was_stalled) work_ready_.notify_all();  // a spare may be one too many now
}

}  // namespace notify::core
