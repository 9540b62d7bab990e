// The dispatcher's threads: one scheduler feeding per-listener lanes, N workers draining them.
#include "dispatcher.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <limits>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

namespace {

constexpr Micros never = std::numeric_limits<Micros>::max();
constexpr std::size_t record_batch_limit = 256;
constexpr int max_async_batch = 64;  // deliveries one worker hands an asynchronous handler at once

std::chrono::steady_clock::time_point steady_at(Micros wall_target, Micros wall_now) {
    const auto delta = std::chrono::microseconds(std::max<Micros>(0, wall_target - wall_now));
    return std::chrono::steady_clock::now() + delta;
}

}  // namespace

Micros now_micros() noexcept { return now().time_since_epoch().count(); }

thread_local Dispatcher::Worker* Dispatcher::current_worker = nullptr;

Dispatcher::Dispatcher(Outbox& outbox, ListenerCache& listeners, const NotifierOptions& options,
                       DeliveryMetrics& metrics, std::function<void()> recorded)
    : outbox_(outbox), listeners_(listeners), options_(options), metrics_(metrics), self_(ProcessIdentity::self()),
      recorded_(std::move(recorded)) {}

Dispatcher::~Dispatcher() { stop(std::chrono::steady_clock::now()); }

void Dispatcher::log(LogLevel level, const std::string& message) const {
    if (!options_.log) return;
    try {
        options_.log(level, message);
    } catch (...) {
    }
}

void Dispatcher::start() {
    if (outbox_.durable()) {
        const Micros now = now_micros();
        owner_ = outbox_.register_process(self_, now);
        const auto adopted = outbox_.adopt_dead(self_, owner_, now, options_.lease.count() * 1000);
        if (adopted > 0) log(LogLevel::info, "took over " + std::to_string(adopted) + " deliveries of stopped processes");
    }
    {
        std::lock_guard lock(mutex_);
        started_ = true;
        starting_ = true;
        sync_lanes();
        starting_ = false;
        if (!start_failure_.empty()) {
            // Nothing runs yet: undo, so that the caller sees one error and no half-started notifier.
            started_ = false;
            for (auto& [kind, handler] : handlers_) handler->shutdown(std::chrono::steady_clock::now());
            handlers_.clear();
            lanes_.clear();
            if (outbox_.durable()) {
                try {
                    outbox_.release(owner_);
                } catch (const Error&) {
                    // The lease runs out and another process takes the rows over.
                }
            }
            throw ValidationError(start_failure_);
        }
    }
    {
        // The workers first: the scheduler starts spares whenever fewer are running.
        std::lock_guard lock(mutex_);
        for (int i = 0; i < options_.workers; ++i) start_worker_locked(false, false);
        // One more worker only for asynchronous handlers: however blocking handlers hang, it
        // is always free to hand batches to the amqp handler.
        start_worker_locked(true, false);
    }
    scheduler_ = std::thread([this] { schedule_loop(); });
    pthread_setname_np(scheduler_.native_handle(), "notify-schedule");
    recorder_ = std::thread([this] { record_loop(); });
    pthread_setname_np(recorder_.native_handle(), "notify-record");
}

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
    for (const auto& [id, lane] : lanes_) {
        if (lane.asynchronous || lane.handler == nullptr) continue;
        const bool waiting = !lane.queue.empty() && lane.in_flight < lane.limit;
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

void Dispatcher::stop(std::chrono::steady_clock::time_point deadline) {
    {
        std::unique_lock lock(mutex_);
        if (!started_ || stopping_) return;
        stopping_ = true;
    }
    schedule_wake_.notify_all();
    work_ready_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    // Deliveries under way may finish until shortly before the deadline; then the handlers
    // are asked to give up the rest (retried later), which they do by the deadline.
    const auto now = std::chrono::steady_clock::now();
    const auto finish_by = deadline <= now ? now : deadline - std::min<std::chrono::steady_clock::duration>(
                                                                  std::chrono::seconds(1), (deadline - now) / 2);
    {
        std::unique_lock lock(mutex_);
        idle_.wait_until(lock, finish_by, [&] {
            return std::all_of(lanes_.begin(), lanes_.end(), [](const auto& l) { return l.second.in_flight == 0; });
        });
    }
    for (auto& [kind, handler] : handlers_) handler->shutdown(deadline);
    // No worker starts or ends now (the scheduler is gone, stopping_ is set): the list is ours.
    for (auto& w : workers_) w.thread.join();
    {
        std::lock_guard lock(mutex_);
        recorder_stopping_ = true;  // it stores what is left, then ends
    }
    recorder_wake_.notify_all();
    recorder_.join();
    try {
        outbox_.release(owner_);  // queued, never attempted: parked for the next start
        outbox_.checkpoint();
    } catch (const Error& e) {
        log(LogLevel::error, std::string("stopping: ") + e.what());
    }
}

Dispatcher::Placement Dispatcher::place(const std::string& listener_id, bool due_now) {
    std::lock_guard lock(mutex_);
    const auto it = lanes_.find(listener_id);
    if (it == lanes_.end()) return Placement::parked;
    Lane& lane = it->second;
    if (!due_now || lane.handler == nullptr || stopping_) return Placement::parked;
    if (!lane.backlog && lane.held() < options_.listener_prefetch) {
        ++lane.reserved;
        return Placement::owned;
    }
    lane.backlog = true;  // from now on fresh fires queue behind the parked ones
    ++lane.parking;
    return Placement::behind;
}

void Dispatcher::placed(const std::string& listener_id, Placement placement, QueuedDelivery delivery, Micros due_at) {
    bool work = false;
    bool sooner = false;
    {
        std::lock_guard lock(mutex_);
        auto it = lanes_.find(listener_id);
        if (it == lanes_.end()) return;  // listener removed meanwhile: its rows went with it
        Lane& lane = it->second;
        if (placement == Placement::owned) {
            if (lane.reserved > 0) --lane.reserved;
            lane.queue.push_back(std::move(delivery));
            work = true;
        } else {
            if (placement == Placement::behind && lane.parking > 0) --lane.parking;
            ++lane.parks;
            sooner = due_at < lane.next_parked;
            lane.next_parked = std::min(lane.next_parked, due_at);
        }
    }
    if (work) work_ready_.notify_one();
    if (sooner) schedule_wake_.notify_one();
}

void Dispatcher::unplace(const std::string& listener_id, Placement placement) {
    std::lock_guard lock(mutex_);
    auto it = lanes_.find(listener_id);
    if (it == lanes_.end()) return;
    if (placement == Placement::owned && it->second.reserved > 0) --it->second.reserved;
    if (placement == Placement::behind && it->second.parking > 0) --it->second.parking;
}

void Dispatcher::poke() {
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, lane] : lanes_) lane.next_parked = 0;
    }
    schedule_wake_.notify_one();
}

Handler* Dispatcher::handler_for(const std::string& kind) {
    if (auto it = handlers_.find(kind); it != handlers_.end()) return it->second.get();
    if (failed_kinds_.count(kind) != 0) return nullptr;
    const HandlerFactory* factory = options_.handlers ? options_.handlers->find(kind) : nullptr;
    if (factory == nullptr) return nullptr;
    try {
        HandlerContext context;
        const auto section = options_.handler_sections.find(factory->config_section());
        if (section != options_.handler_sections.end()) context.section = section->second;
        context.log = options_.log;
        auto handler = factory->create(context);
        Handler* raw = handler.get();
        handlers_.emplace(kind, std::move(handler));
        metrics_.handler_started(kind);
        return raw;
    } catch (const Error& e) {
        // Its settings (no retry will help): start() fails the notifier with it.
        const bool settings = dynamic_cast<const ValidationError*>(&e) != nullptr ||
                              dynamic_cast<const ConfigError*>(&e) != nullptr;
        const std::string why = "cannot start the " + kind + " handler: " + e.what();
        // While starting, a refusal of its settings becomes start()'s exception: not logged too.
        failed_kinds_.insert(kind);  // not tried again, nor logged again, until the listeners change
        metrics_.handler_failed(kind, e.what(), std::chrono::steady_clock::now());
        if (settings && starting_) {
            if (start_failure_.empty()) start_failure_ = why;
        } else {
            log(LogLevel::error, why);
        }
        return nullptr;
    } catch (const std::exception& e) {
        failed_kinds_.insert(kind);
        metrics_.handler_failed(kind, e.what(), std::chrono::steady_clock::now());
        log(LogLevel::error, "cannot start the " + kind + " handler: " + e.what());
        return nullptr;
    }
}

// Called with mutex_ held, whenever the snapshot may have changed.
void Dispatcher::sync_lanes() {
    const auto set = listeners_.snapshot();
    if (set == synced_) return;
    failed_kinds_.clear();
    for (auto it = lanes_.begin(); it != lanes_.end();) {
        if (set->by_id.count(it->first) == 0) {
            // Removed: the durable store deleted its rows with it; forget the queue.
            if (!outbox_.durable()) {
                try {
                    outbox_.drop_listener(it->first);
                } catch (const Error& e) {
                    log(LogLevel::error, e.what());
                }
            }
            metrics_.listener_gone(it->first);
            it = lanes_.erase(it);
        } else {
            ++it;
        }
    }
    const auto& only = options_.only_listeners;
    for (const auto& [id, listener] : set->by_id) {
        // A process delivering for some listeners only has no lane (and starts no handler)
        // for the others: their deliveries stay parked for whoever serves them.
        if (!only.empty() && std::find(only.begin(), only.end(), id) == only.end()) continue;
        Lane& lane = lanes_[id];
        const bool fresh = lane.listener == nullptr;
        lane.listener = listener;
        lane.handler = handler_for(listener->kind);
        if (lane.handler != nullptr) metrics_.listener_in_use(id, listener->kind);
        lane.limit = options_.listener_concurrency;
        lane.asynchronous = lane.handler != nullptr && lane.handler->window() > 0;
        if (lane.asynchronous) {
            lane.limit = static_cast<int>(std::min(lane.handler->window(), options_.listener_prefetch));
        }
        if (fresh) {
            lane.next_parked = 0;  // look for parked rows at once
            lane.backlog = true;   // until that look finds none
            if (lane.handler == nullptr && failed_kinds_.count(listener->kind) == 0) {
                log(LogLevel::warning, "listener " + id + ": no handler for kind '" + listener->kind +
                                           "' in this process; its deliveries wait for one that has it");
            }
        }
    }
    // A handler no listener here uses any more is not "in use": its failures no longer count.
    std::set<std::string> kinds;
    for (const auto& [id, lane] : lanes_) kinds.insert(lane.listener->kind);
    metrics_.keep_handlers(kinds);
    synced_ = set;
}

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
        if (auto it = lanes_.find(id); it != lanes_.end()) it->second.next_parked = due.value_or(never);
    }
}

void Dispatcher::claim_due(Micros now) {
    struct Want {
        std::string id;
        std::size_t room;
        std::uint64_t parks;  // the lane's park count when the claim started
    };
    std::vector<Want> wants;
    {
        std::lock_guard lock(mutex_);
        // Claim in chunks: only when a quarter of the lane is free, or it ran dry.
        const std::size_t chunk = std::max<std::size_t>(1, options_.listener_prefetch / 4);
        for (auto& [id, lane] : lanes_) {
            if (lane.handler == nullptr || lane.next_parked > now) continue;
            const std::size_t held = lane.held();
            if (held + chunk <= options_.listener_prefetch || lane.queue.empty()) {
                if (held < options_.listener_prefetch) wants.push_back({id, options_.listener_prefetch - held, lane.parks});
            }
        }
    }
    for (const auto& want : wants) {
        auto rows = outbox_.claim(want.id, now, want.room, owner_);
        const bool drained = rows.size() < want.room;
        std::optional<Micros> next;
        if (drained) next = outbox_.next_due(want.id);
        std::vector<QueuedDelivery> ready;
        std::vector<Completion> unreadable;
        for (auto& row : rows) {
            try {
                auto event = std::make_shared<const Event>(event_from_json(nlohmann::json::parse(row.event_json)));
                ready.push_back({row.seq, std::move(row.delivery_id), std::move(event), row.created_at, row.attempts});
            } catch (const std::exception& e) {
                unreadable.push_back({row.seq, Completion::Kind::dead, row.attempts, now,
                                      std::string("stored event unreadable: ") + e.what()});
            }
        }
        if (!unreadable.empty()) outbox_.complete(unreadable, owner_, {});
        std::lock_guard lock(mutex_);
        auto it = lanes_.find(want.id);
        if (it == lanes_.end()) continue;  // removed meanwhile; rows were deleted with it
        Lane& lane = it->second;
        for (auto& d : ready) lane.queue.push_back(std::move(d));
        if (drained && lane.parking == 0 && lane.parks == want.parks) {
            // Nothing due is left parked and no fire() parked one meanwhile: fresh fires
            // may go straight to the queue again without overtaking anything.
            lane.backlog = false;
            lane.next_parked = next.value_or(never);
        } else if (drained) {
            lane.next_parked = std::min(next.value_or(never), now);
        } else {
            lane.next_parked = now;  // more may be due once there is room
        }
        if (!ready.empty()) work_ready_.notify_all();
    }
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
                outbox_.heartbeat(owner_, wall);
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
        } catch (const std::exception& e) {
            log(LogLevel::error, std::string("delivery scheduler: ") + e.what());
        }
        std::unique_lock lock(mutex_);
        if (stopping_) break;
        auto wake = std::min({next_refresh, next_heartbeat, next_poll, next_checkpoint});
        if (watching) wake = std::min(wake, next_watch);
        const Micros wall = now_micros();
        for (const auto& [id, lane] : lanes_) {
            const std::size_t chunk = std::max<std::size_t>(1, options_.listener_prefetch / 4);
            const bool room = lane.held() + chunk <= options_.listener_prefetch || lane.queue.empty();
            if (lane.handler != nullptr && lane.next_parked != never && room) {
                wake = std::min(wake, steady_at(lane.next_parked, wall));
            }
        }
        schedule_wake_.wait_until(lock, wake);
        if (stopping_) break;
    }
}

Dispatcher::Lane* Dispatcher::pick_locked(bool asynchronous_only, bool take) {
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
            if (lane.handler == nullptr || lane.queue.empty() || lane.in_flight >= lane.limit || lane.starting) continue;
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
            lane = pick_locked(asynchronous_only, true);
            // A wake-up meant for a blocking lane, which this worker does not take: pass it on.
            if (lane == nullptr && asynchronous_only && pick_locked(false, false) != nullptr) work_ready_.notify_one();
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
        std::vector<QueuedDelivery> batch;
        const int room = lane->asynchronous ? lane->limit - lane->in_flight : 1;
        while (!lane->queue.empty() && static_cast<int>(batch.size()) < std::min(room, max_async_batch)) {
            batch.push_back(std::move(lane->queue.front()));
            lane->queue.pop_front();
        }
        lane->in_flight += static_cast<int>(batch.size());
        const bool asynchronous = lane->asynchronous;
        lane->starting = asynchronous;
        if (!asynchronous) {
            self->busy = true;
            self->busy_since = std::chrono::steady_clock::now();
            self->lane = listener_id;
        }
        const auto listener = lane->listener;
        Handler* handler = lane->handler;
        const bool refill = lane->next_parked != never &&
                            lane->held() + std::max<std::size_t>(1, options_.listener_prefetch / 4) <=
                                options_.listener_prefetch;
        lock.unlock();
        if (refill) schedule_wake_.notify_one();

        // Blocking handlers call back on this thread before deliver_async() returns;
        // asynchronous ones later, from their own thread.
        const auto worker = std::this_thread::get_id();
        for (auto& d : batch) {
            const Delivery delivery{d.delivery_id, d.event, listener, d.attempts + 1};
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
            if (auto it = lanes_.find(listener_id); it != lanes_.end()) it->second.starting = false;
        }
    }
}

void Dispatcher::finish(const std::string& listener_id, const QueuedDelivery& d, const DeliveryResult& result,
                        bool on_worker) {
    Completion completion = decide(result, d, now_micros());
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
    if (auto it = lanes_.find(listener_id); it != lanes_.end()) {
        kind = it->second.listener->kind;
        lane_was_full = it->second.in_flight >= it->second.limit && !it->second.queue.empty();
        --it->second.in_flight;
        if (was_stalled && it->second.stalled > 0) --it->second.stalled;
    }
    // The row stays ours until the recorder stored the outcome, so nobody else takes it.
    outcomes_.push_back({listener_id, std::move(kind), std::move(completion), d.delivery_id, d.event ? d.event->type() : std::string(),
                         d.created_at});
    // Wake only who has news: the recorder when it waits for a first outcome or a full
    // batch, stop() when it waits for the last delivery, a worker when the lane was held up
    // by its limit and no worker is about to look (a worker calling back takes the next
    // one itself).
    const bool wake_recorder = outcomes_.size() == 1 || outcomes_.size() >= record_batch_limit;
    const bool wake_stop = stopping_;
    lock.unlock();
    if (wake_recorder) recorder_wake_.notify_one();
    if (wake_stop) idle_.notify_all();
    if (!on_worker && lane_was_full) work_ready_.notify_one();
    if (was_stalled) work_ready_.notify_all();  // a spare may be one too many now
}

void Dispatcher::record_loop() {
    constexpr std::size_t batch_limit = record_batch_limit;
    while (true) {
        std::unique_lock lock(mutex_);
        recorder_wake_.wait(lock, [&] { return recorder_stopping_ || !outcomes_.empty(); });
        if (outcomes_.empty()) return;  // stopping, and everything is stored
        // Linger a moment so outcomes share commits, leaving the writer to fire().
        if (!recorder_stopping_ && outcomes_.size() < batch_limit) {
            recorder_wake_.wait_for(lock, std::chrono::milliseconds(1),
                                    [&] { return recorder_stopping_ || outcomes_.size() >= batch_limit; });
        }
        std::vector<Outcome> batch;
        batch.swap(outcomes_);
        lock.unlock();

        std::vector<Completion> completions;
        Outbox::AttemptCounts counts;
        completions.reserve(batch.size());
        for (const auto& o : batch) {
            completions.push_back(o.completion);
            if (o.completion.kind == Completion::Kind::delivered) ++counts[o.listener_id].first;
            if (o.completion.kind == Completion::Kind::retry) ++counts[o.listener_id].second;
        }
        // Never attempt a delivery again because recording failed: that would send a
        // duplicate. If the store stays broken the rows stay ours and stop() parks them.
        bool stored = false;
        for (int tries = 0; !stored && tries < 5; ++tries) {
            try {
                outbox_.complete(completions, owner_, counts);
                stored = true;
            } catch (const std::exception& e) {
                log(LogLevel::error, "cannot record " + std::to_string(batch.size()) + " delivery outcomes: " + e.what());
                std::this_thread::sleep_for(std::chrono::milliseconds(100) * (tries + 1));
            }
        }
        if (!stored) continue;

        bool retries = false;
        lock.lock();
        for (const auto& o : batch) {
            if (o.completion.kind != Completion::Kind::retry) continue;
            retries = true;
            if (auto it = lanes_.find(o.listener_id); it != lanes_.end()) {
                it->second.next_parked = std::min(it->second.next_parked, o.completion.due_at);
            }
        }
        lock.unlock();
        if (retries) schedule_wake_.notify_one();
        report(batch);
    }
}

void Dispatcher::report(const std::vector<Outcome>& batch) {
    const Micros now = now_micros();
    const auto steady_now = std::chrono::steady_clock::now();
    for (const auto& o : batch) {
        const OutcomeHook* hook = nullptr;
        DeliveryOutcome out;
        DeliveryMetrics::Outcome counted = DeliveryMetrics::Outcome::delivered;
        switch (o.completion.kind) {
            case Completion::Kind::delivered:
                hook = &options_.on_delivered;
                out.kind = DeliveryOutcome::Kind::delivered;
                break;
            case Completion::Kind::retry:
                hook = &options_.on_retry;
                out.kind = DeliveryOutcome::Kind::retry;
                out.next_attempt = Timestamp(std::chrono::microseconds(o.completion.due_at));
                counted = DeliveryMetrics::Outcome::retried;
                break;
            case Completion::Kind::dead:
                hook = &options_.on_dead;
                out.kind = DeliveryOutcome::Kind::dead;
                counted = DeliveryMetrics::Outcome::dead;
                break;
        }
        const auto since_fired = std::chrono::microseconds(std::max<Micros>(0, now - o.created_at));
        if (!o.kind.empty()) metrics_.outcome(o.listener_id, o.kind, counted, since_fired, o.completion.error, steady_now);
        if (!*hook) continue;
        out.delivery_id = o.delivery_id;
        out.listener_id = o.listener_id;
        out.event_type = o.event_type;
        out.attempts = o.completion.attempts;
        out.error = o.completion.error;
        out.since_fired = since_fired;
        try {
            (*hook)(out);
        } catch (const std::exception& e) {
            log(LogLevel::error, std::string("an outcome hook threw (ignored): ") + e.what());
        } catch (...) {
            log(LogLevel::error, "an outcome hook threw (ignored)");
        }
    }
    if (recorded_) recorded_();
}


}  // namespace notify::core
