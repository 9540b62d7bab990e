// The dispatcher's life (start, stop), its lanes (one per listener, kept in step with the
// listener snapshot) and fire()'s reservations. The threads live in dispatcher_schedule.cpp,
// dispatcher_workers.cpp and dispatcher_record.cpp.
#include "dispatcher.hpp"

#include <pthread.h>

#include <algorithm>

#include "notify/core/error.hpp"

namespace notify::core {

Micros now_micros() noexcept { return now().time_since_epoch().count(); }

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
        const auto adopted = outbox_.adopt_dead(self_, owner_, now, options_.lease.count() * 1000) + outbox_.adopt_orphans();
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
    {
        // A fire() that kept a place in a lane before stopping_ was set inserts its row owned
        // by this process: release only after that insert, or the row would stay owned by a
        // process nobody knows (until the next start's adopt_orphans()).
        std::unique_lock lock(mutex_);
        idle_.wait_until(lock, deadline, [&] {
            return std::all_of(lanes_.begin(), lanes_.end(), [](const auto& l) { return l.second.reserved == 0; });
        });
    }
    try {
        outbox_.release(owner_);  // queued, never attempted: parked for the next start
        outbox_.checkpoint();
    } catch (const Error& e) {
        log(LogLevel::error, std::string("stopping: ") + e.what());
    }
}

Dispatcher::Reservation Dispatcher::reserve(std::string_view listener_id, bool due_now) {
    std::lock_guard lock(mutex_);
    const auto it = lanes_.find(listener_id);
    if (it == lanes_.end()) return {};
    Lane& lane = it->second;
    if (!due_now || lane.handler == nullptr || stopping_) return {this, listener_id, Placement::parked};
    if (lane.has_room(prefetch_of(lane))) {
        ++lane.reserved;
        return {this, listener_id, Placement::owned};
    }
    lane.backlog = true;  // from now on fresh fires queue behind the parked ones
    ++lane.parking;
    return {this, listener_id, Placement::behind};
}

Dispatcher::Reservation& Dispatcher::Reservation::operator=(Reservation&& other) noexcept {
    if (this != &other) {
        release();
        d_ = std::exchange(other.d_, nullptr);
        listener_id_ = other.listener_id_;
        placement_ = other.placement_;
    }
    return *this;
}

void Dispatcher::Reservation::commit(QueuedDelivery delivery, Micros due_at) {
    if (d_ == nullptr) return;
    std::exchange(d_, nullptr)->placed(listener_id_, placement_, std::move(delivery), due_at);
}

void Dispatcher::Reservation::release() noexcept {
    if (d_ != nullptr) std::exchange(d_, nullptr)->unplace(listener_id_, placement_);
}

void Dispatcher::placed(std::string_view listener_id, Placement placement, QueuedDelivery delivery, Micros due_at) {
    bool work = false;
    bool sooner = false;
    bool stopping = false;  // stop() waits for the reservations to end
    {
        std::lock_guard lock(mutex_);
        auto it = lanes_.find(listener_id);
        if (it == lanes_.end()) return;  // listener removed meanwhile: its rows went with it
        Lane& lane = it->second;
        if (placement == Placement::owned) {
            if (lane.reserved > 0) --lane.reserved;
            lane.queue.push_back(std::move(delivery));
            work = true;
            stopping = stopping_;
            // Held by its rate or mail budget: the scheduler wakes the workers when the hold ends.
            sooner = lane.hold_until != 0;
        } else {
            if (placement == Placement::behind && lane.parking > 0) --lane.parking;
            sooner = lane.park(due_at);
        }
    }
    if (work) work_ready_.notify_one();
    if (sooner) schedule_wake_.notify_one();
    if (stopping) idle_.notify_all();
}

void Dispatcher::unplace(std::string_view listener_id, Placement placement) noexcept {
    bool stopping = false;
    {
        std::lock_guard lock(mutex_);
        auto it = lanes_.find(listener_id);
        if (it == lanes_.end()) return;
        if (placement == Placement::owned && it->second.reserved > 0) --it->second.reserved;
        if (placement == Placement::behind && it->second.parking > 0) --it->second.parking;
        stopping = stopping_;
    }
    if (stopping) idle_.notify_all();
}

std::size_t Dispatcher::prefetch_of(const Lane& lane) const noexcept {
    const bool collects = lane.digests && (lane.listener->digest.count() > 0 || lane.listener->max_mails_per_hour > 0);
    return collects ? std::max(options_.listener_prefetch, max_digest_events) : options_.listener_prefetch;
}

Micros Dispatcher::release_holds(Micros now) {
    Micros next = no_parked_row;
    bool released = false;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, lane] : lanes_) {
            if (lane.hold_until == 0 || lane.queue.empty()) continue;
            if (lane.hold_until <= now) {
                lane.hold_until = 0;
                released = true;
            } else {
                next = std::min(next, lane.hold_until);
            }
        }
    }
    if (released) work_ready_.notify_all();
    return next;
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
        const bool rate_changed = fresh || lane.listener->rate != listener->rate;
        lane.listener = listener;
        if (rate_changed) lane.reset_rate(now_micros());
        lane.handler = handler_for(listener->kind);
        const HandlerFactory* factory = options_.handlers ? options_.handlers->find(listener->kind) : nullptr;
        lane.digests = lane.handler != nullptr && factory != nullptr && factory->takes_digests();
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

}  // namespace notify::core
