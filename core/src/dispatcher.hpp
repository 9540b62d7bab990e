// Dispatcher: worker threads that attempt deliveries, and a scheduler thread that feeds
// them from the outbox (internal).
//
// Each listener has a lane: a bounded FIFO queue of deliveries this process holds, and a
// limit on how many run at once, so a listener whose handler hangs holds at most
// `listener_concurrency` workers and never more than `prefetch` deliveries of memory.
//
// Blocking handlers share the workers fairly: a lane may start an attempt while it has
// fewer attempts running (not counting stalled ones) than its share, workers divided by
// the lanes that want them; beyond its share it only takes a worker no lane below its
// share is waiting for. An attempt that has run for `stall_after` is stalled: it no longer
// counts as using a worker, and a spare worker thread is started in its place (up to
// `max_spare_workers`), so lanes whose servers hang cannot starve the others. Spare
// threads end once the stalled attempts end.
#pragma once

#include <atomic>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "delivery_metrics.hpp"
#include "lane.hpp"
#include "listener_cache.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/notifier.hpp"
#include "outbox.hpp"

namespace notify::core {

class Dispatcher {
public:
    // `recorded` runs on the recorder thread after each batch of outcomes is stored and
    // reported to the options' hooks and `metrics`.
    Dispatcher(Outbox& outbox, ListenerCache& listeners, const NotifierOptions& options, DeliveryMetrics& metrics,
               std::function<void()> recorded = {});
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Registers this process as an owner, takes over dead owners' rows, starts the handlers
    // its listeners use and the threads. Throws notify::ValidationError, starting nothing,
    // when such a handler refuses its settings.
    void start();
    // See Notifier::stop(). Idempotent.
    void stop(std::chrono::steady_clock::time_point deadline);

    std::int64_t owner() const noexcept { return owner_; }
    // Outcome batches taken so far, and the last one whose hooks and metrics are done.
    std::uint64_t batches_started() const noexcept { return batches_started_.load(); }
    std::uint64_t batches_reported() const noexcept { return batches_reported_.load(); }

    // fire() support: where will the listener's new delivery go once its row is committed?
    enum class Placement {
        owned,   // inserted owned; goes into the lane's queue
        behind,  // parked behind the lane's backlog (counted in Lane::parking)
        parked,  // parked: not due yet, or no lane or handler here
    };
    // A place in a lane kept for one delivery while fire() commits its row: the row is
    // inserted owned (the lane holds it in memory) or parked. commit() hands the committed
    // delivery over; a reservation dropped without commit() (the insert failed or threw)
    // gives its place back. Move-only; used by one thread; must not outlive its dispatcher,
    // nor the listener id it was made for.
    class Reservation {
    public:
        Reservation() = default;  // no dispatcher: the row is parked
        Reservation(Reservation&& other) noexcept { *this = std::move(other); }
        Reservation& operator=(Reservation&& other) noexcept;
        Reservation(const Reservation&) = delete;
        Reservation& operator=(const Reservation&) = delete;
        ~Reservation() { release(); }

        bool owned() const noexcept { return placement_ == Placement::owned; }
        // The row is committed, as `delivery` (its event only when owned()), due at `due_at`.
        void commit(QueuedDelivery delivery, Micros due_at);

    private:
        friend class Dispatcher;
        Reservation(Dispatcher* d, std::string_view listener_id, Placement p) : d_(d), listener_id_(listener_id), placement_(p) {}
        void release() noexcept;
        Dispatcher* d_ = nullptr;
        std::string_view listener_id_;
        Placement placement_ = Placement::parked;
    };
    // Takes only the dispatcher's mutex; throws nothing but std::bad_alloc.
    Reservation reserve(std::string_view listener_id, bool due_now);
    // Parked rows may have become due anywhere (dead letters retried): look now.
    void poke();

private:
    // One worker thread. Only its thread and the scheduler (under mutex_) touch it.
    struct Worker {
        std::thread thread;
        bool asynchronous_only = false;
        bool spare = false;     // started for a stalled attempt; ends when no longer needed
        bool busy = false;      // in a blocking handler's deliver()
        bool stalled = false;   // ... for longer than stall_after
        bool exited = false;    // a spare that ended; the scheduler joins it
        std::chrono::steady_clock::time_point busy_since{};
        std::string lane;
    };

    void schedule_loop();
    void work_loop(Worker* self);
    // Starts a worker thread, named "notify-worker", "notify-spare" or "notify-async".
    void start_worker_locked(bool asynchronous_only, bool spare);
    // Marks attempts running longer than stall_after as stalled, starts spare workers in
    // their place, joins spares that ended.
    void check_stalls();
    // Workers per blocking lane that wants one (at least 1).
    int share_locked() const;
    void record_loop();
    // The next lane with work a worker may take at `now` (round robin); `take` moves the turn on.
    Lane* pick_locked(bool asynchronous_only, bool take, Micros now);
    // Deliveries of the lane this process may hold: the listener's prefetch, or a whole
    // digest's worth for a lane that collects.
    std::size_t prefetch_of(const Lane& lane) const noexcept;
    // Lanes whose hold (rate, mail budget) ended by `now` with work queued: wakes workers.
    // Returns the earliest hold still running with work queued (no_parked_row: none).
    Micros release_holds(Micros now);
    // Reservation's ends, under mutex_.
    void placed(std::string_view listener_id, Placement placement, QueuedDelivery delivery, Micros due_at);
    void unplace(std::string_view listener_id, Placement placement) noexcept;
    void sync_lanes();                        // after the listener snapshot changed
    Handler* handler_for(const std::string& kind);
    void claim_due(Micros chosen_at);  // lanes whose claim time is past `chosen_at`
    void poll_parked();
    // After heartbeat() found this process taken for dead: register again, hand queued
    // deliveries back to the store (see dispatcher_schedule.cpp).
    void rejoin(Micros now);
    Completion decide(const DeliveryResult& result, const QueuedDelivery& d, Micros now);
    // An attempt ended (on a worker, or on a handler's own thread for deliver_async()).
    void finish(const std::string& listener_id, const QueuedDelivery& d, const DeliveryResult& result, bool on_worker);
    // Hands `rows` (read, in order) to the handler as one digest (Delivery::digest).
    void deliver_digest(const std::shared_ptr<const Listener>& listener, Handler* handler,
                        std::vector<QueuedDelivery> rows, std::thread::id worker);
    // A digest's attempt ended: one outcome, decided on its oldest row, for every row.
    void finish_digest(const std::string& listener_id, const std::vector<QueuedDelivery>& rows,
                       const DeliveryResult& result, bool on_worker);
    // The same with the outcome decided (a stored event no worker could read is dead at once).
    void finish(const std::string& listener_id, const QueuedDelivery& d, Completion completion, bool on_worker);
    void log(LogLevel level, const std::string& message) const;

    Outbox& outbox_;
    ListenerCache& listeners_;
    const NotifierOptions& options_;
    DeliveryMetrics& metrics_;
    const ProcessIdentity self_;
    std::int64_t owner_ = 1;  // the in-memory outbox has only this process

    std::mutex mutex_;  // guards everything below
    std::condition_variable work_ready_;
    std::condition_variable schedule_wake_;
    std::condition_variable idle_;
    std::condition_variable recorder_wake_;
    bool recorder_stopping_ = false;
    // An attempt that ended, its outcome not yet stored.
    struct EndedAttempt {
        std::string listener_id;
        std::string kind;  // of the listener's handler
        Completion completion;
        std::string delivery_id;
        std::string event_type;
        Micros created_at = 0;
    };
    // Calls the options' outcome hooks for a stored batch, then recorded_.
    void report(const std::vector<EndedAttempt>& batch);
    const std::function<void()> recorded_;
    // Batches of outcomes the recorder took, and the number of the last one it reported
    // (hooks and metrics done): flush() waits for the batch that emptied the outbox.
    std::atomic<std::uint64_t> batches_started_{0};
    std::atomic<std::uint64_t> batches_reported_{0};
    std::string start_failure_;  // a handler in use refused its settings (start() throws it)
    bool starting_ = false;      // start()'s first sync_lanes() is running
    std::set<std::string> failed_kinds_;  // handlers that could not start, logged once per sync
    std::vector<EndedAttempt> outcomes_;  // attempted, not yet stored
    bool stopping_ = false;
    bool started_ = false;
    std::map<std::string, Lane, std::less<>> lanes_;
    std::string last_picked_;
    std::map<std::string, std::unique_ptr<Handler>, std::less<>> handlers_;  // by kind; live until stop()
    std::mt19937_64 random_{std::random_device{}()};
    std::shared_ptr<const ListenerSet> synced_;

    std::thread scheduler_;
    std::thread recorder_;
    std::list<Worker> workers_;  // stable addresses: each thread holds its own
    static thread_local Worker* current_worker;  // the worker this thread is; null on others
    int general_workers_ = 0;    // running threads that take blocking work
    int stalled_workers_ = 0;    // of those, stuck in an attempt longer than stall_after
};

Micros now_micros() noexcept;

// An attempt running this long no longer counts as using a worker (see Dispatcher).
inline constexpr std::chrono::milliseconds stall_after{1000};
// Worker threads started in place of stalled ones, at most, on top of `workers`.
inline constexpr int max_spare_workers = 64;
// Outcomes the recorder stores in one commit, at most; a full batch wakes it at once.
inline constexpr std::size_t record_batch_limit = 256;

}  // namespace notify::core
