// Notifier: what a host embeds. fire() stores an event durably for every listener it
// matches and returns; delivery happens on notify's own threads, with retries, until each
// handler confirms it. docs/delivery.md states the guarantees.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/event.hpp"
#include "notify/core/event_bus.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/store_location.hpp"
#include "notify/core/log.hpp"
#include "notify/core/retry_policy.hpp"

namespace prometheus {
class Collectable;
struct MetricFamily;
}  // namespace prometheus

namespace notify::core {

// What one delivery attempt came to, as the outcome hooks see it.
struct DeliveryOutcome {
    enum class Kind { delivered, retry, dead };
    Kind kind = Kind::delivered;
    std::string delivery_id;
    std::string listener_id;
    std::string event_type;  // empty if the event could not be read back
    int attempts = 0;        // made so far, this one included
    std::string error;       // retry and dead: why
    std::chrono::microseconds since_fired{0};  // from fire() to this outcome
    std::optional<Timestamp> next_attempt;     // retry: when
};

// Called on notify's recording thread once the outcome is stored, never on the thread
// that called fire(). Keep it short: it holds up the recording of later outcomes. An
// exception it throws is logged and otherwise ignored.
using OutcomeHook = std::function<void(const DeliveryOutcome&)>;

struct NotifierOptions {
    enum class OutboxMode {
        durable,  // in the store: nothing fire() returned for is lost to a crash
        memory,   // in this process's memory: faster; everything undelivered dies with it
    };

    // Listeners and the durable outbox: an SQLite file (store.path), or a store engine's
    // database (store.url, e.g. PostgreSQL: several hosts may share it).
    StoreLocation store;
    OutboxMode outbox = OutboxMode::durable;
    bool sync_full = false;   // fsync every commit: also survive power loss (much slower)
    bool dispatch = true;     // deliver from this process; false: only store (e.g. a CLI)
    // With dispatch: deliver only for these listener ids (and start only their handlers);
    // empty: every listener. The others' deliveries are stored and left for other processes.
    std::vector<std::string> only_listeners;
    int workers = 4;          // delivery threads
    int listener_concurrency = 2;  // deliveries of one listener at once; < workers
    std::size_t listener_prefetch = 256;  // deliveries of one listener held in memory
    RetryPolicy retry;
    std::chrono::milliseconds lease = std::chrono::seconds(60);  // silence after which another process takes over
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(250);  // listener changes, other processes' work
    // How often a delivering process looks whether anything was committed to the store
    // (SQLite's data_version, microseconds a look), so that an event another process fired
    // is attempted within about this long instead of at the next poll. 0: only poll.
    std::chrono::milliseconds watch_interval = std::chrono::milliseconds(2);
    std::shared_ptr<const HandlerRegistry> handlers = std::make_shared<HandlerRegistry>();
    std::map<std::string, nlohmann::json, std::less<>> handler_sections;  // server.conf sections by name
    LogFunction log = log_to_stderr;
    // Outcomes of this process's attempts (see OutcomeHook); empty: none called.
    OutcomeHook on_delivered;
    OutcomeHook on_retry;
    OutcomeHook on_dead;
};

// What fire() would store for one event, not stored: for a store engine that writes it
// inside a host's own transaction (notify::store::postgresql::fire_in_transaction()).
struct StagedEvent {
    struct Row {
        std::string delivery_id;
        std::string listener_id;
        std::int64_t due_at;  // microseconds since the epoch
    };
    std::string event_json;   // the event's JSON form (core::to_json)
    std::int64_t created_at;  // microseconds since the epoch
    std::vector<Row> rows;    // one per matching listener; empty: nothing to store
};

// What fire() stored: one delivery per matching listener.
struct FireReceipt {
    struct Entry {
        std::string delivery_id;
        std::string listener_id;
        std::int64_t seq;  // position in the outbox
    };
    std::vector<Entry> deliveries;
};

struct DeliveryStatus {
    enum class State { pending, delivered, dead };
    std::string delivery_id;
    std::string listener_id;
    State state = State::pending;
    int attempts = 0;        // of a pending or dead delivery; 0 once delivered (its row is gone)
    std::string last_error;  // likewise
};

// A delivery still in the outbox (pending) or given up (dead letter).
struct DeliveryRecord {
    std::string delivery_id;
    std::string listener_id;
    nlohmann::json event;  // the event's JSON form
    int attempts = 0;
    std::string last_error;
    Timestamp created{};
    Timestamp due{};
    std::optional<Timestamp> dead_at;
    bool in_flight = false;  // held by a delivering process
};

struct ListenerStats {
    std::string listener_id;
    std::uint64_t pending = 0;    // waiting for their time or a free worker
    std::uint64_t in_flight = 0;  // held by a delivering process (queued there or being attempted)
    std::uint64_t delivered = 0;  // confirmed, since the store was created
    std::uint64_t retried = 0;    // attempts that ended in "try again"
    std::uint64_t dead = 0;       // dead letters
    std::optional<std::chrono::milliseconds> oldest_pending_age;  // of deliveries not dead
};

// Whether a delivering process is fit to go on (Notifier::health()).
struct Health {
    bool healthy = true;
    std::string reason;  // why not, one line; empty when healthy
};

// Thread-safe: any thread may call any method. Construction opens the store (creating it
// if needed), loads the listeners and, with `dispatch`, starts delivery threads and the
// handlers their listeners use; the destructor stops them (see stop()).
class Notifier {
public:
    // Throws notify::StoreError for an unusable store, notify::ValidationError for
    // inconsistent options or a handler in use that cannot start with its settings (the
    // message names the handler and the setting); transient failures (a broker that cannot
    // be reached) never throw here.
    explicit Notifier(NotifierOptions options);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Stores one delivery per matching listener in one transaction (sharing the commit with
    // concurrent callers), publishes the event on bus(), and returns. In durable mode the
    // deliveries survive a crash of this process from the moment fire() returns. No network
    // I/O on an SQLite store. Throws notify::StoreError when it could not be stored (then
    // nothing was; on a database server, also when the connection broke while committing,
    // so that the outcome is unknown: the event may then be delivered), and notify::Error
    // after stop().
    FireReceipt fire(const Event& event);
    // fire() for every event of `events`, in one transaction: a backfill or a replay pays
    // one commit for the whole batch. All or nothing: throws notify::StoreError when the
    // batch could not be stored (then none of it was). The receipt lists the deliveries in
    // event order, then listener order.
    FireReceipt fire(std::span<const Event> events);
    // Like fire(), but for the one listener `listener_id` whatever its patterns and filter
    // (to test it), due at once whatever its digest window, and without publishing on
    // bus(). Throws notify::NotFound for an unknown listener.
    FireReceipt fire_to(const Event& event, const std::string& listener_id);

    // Waits until every delivery in the outbox when it was called (fired by this notifier
    // or left by earlier runs and other processes) is delivered or dead, or until
    // `deadline`. True when none of them is still pending.
    bool flush(std::chrono::steady_clock::time_point deadline);

    // Waits until every delivery of `receipt` is delivered or dead, or until `deadline`,
    // and returns where each stands then. It returns as soon as this process records the
    // last outcome; deliveries made by other processes are looked at every 50 ms.
    std::vector<DeliveryStatus> wait(const FireReceipt& receipt, std::chrono::steady_clock::time_point deadline);
    // fire(), then wait(). Throws as fire() does.
    std::vector<DeliveryStatus> fire_and_wait(const Event& event, std::chrono::steady_clock::time_point deadline);

    // Stops accepting fire(), lets deliveries in flight finish until `deadline`, then asks
    // handlers to abandon the rest. Undelivered deliveries stay in the outbox (parked) for
    // the next start or another process. Idempotent.
    void stop(std::chrono::steady_clock::time_point deadline);

    // Where each delivery of a fire() stands now.
    std::vector<DeliveryStatus> status(const FireReceipt& receipt);

    std::vector<ListenerStats> stats();
    // Oldest first, at most `limit`; of one listener unless `listener_id` is empty.
    std::vector<DeliveryRecord> pending(std::size_t limit = 1000, std::string_view listener_id = {});
    std::vector<DeliveryRecord> dead_letters(std::size_t limit = 1000, std::string_view listener_id = {});
    // Makes a dead letter pending again, attempts reset. Returns how many (0 or 1).
    std::size_t retry_dead(std::string_view delivery_id);
    std::size_t retry_all_dead();
    std::size_t purge_dead();

    // The metrics docs/operations.md lists, in the Prometheus text format (version 0.0.4):
    // this process's delivery outcomes, durations and handler states, and what the outbox
    // holds per listener (read from the store at each call). Throws notify::StoreError.
    std::string metrics_text();
    // The same for a host that serves prometheus-cpp metrics itself:
    // `exposer.RegisterCollectable(notifier.metrics())`. Once the notifier is destroyed
    // it collects nothing.
    std::weak_ptr<prometheus::Collectable> metrics() const noexcept;
    // Healthy when the store takes a write and no handler this process uses has been failing
    // (its attempts retried, or it cannot start) for longer than `unhealthy_after`.
    Health health(std::chrono::milliseconds unhealthy_after = std::chrono::minutes(5));

    ListenerStore& listeners() noexcept;
    // Where this notifier's store is (options.store).
    const StoreLocation& store_location() const noexcept;
    // The rows fire(event) would store, routed by the same listeners, without storing them
    // or publishing the event on bus(). Throws notify::Error after stop().
    StagedEvent stage(const Event& event);
    // In-process subscribers see every fired event after it was stored.
    EventBus& bus() noexcept;

private:
    friend class NotifierCollectable;
    // The families metrics_text() shows.
    std::vector<prometheus::MetricFamily> collect();
    // An event and the listeners it goes to.
    struct Routed {
        const Event* event;
        std::vector<std::shared_ptr<const Listener>> listeners;
        std::string json = {};  // the event's JSON text, when a filter already made it
        bool at_once = false;   // due now, whatever the listeners' digests (fire_to())
    };
    // Stores one delivery per listener of each event, in one transaction (the common part
    // of the fire()s and fire_to()).
    FireReceipt store(const std::vector<Routed>& routed);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The delivery id of `event_id` for `listener_id`: a name-based UUID (version 5), so the same
// event fired twice to one listener carries the same id.
std::string delivery_id(std::string_view event_id, std::string_view listener_id);

}  // namespace notify::core
