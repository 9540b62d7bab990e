// Notifier: what a host embeds. fire() stores an event durably for every listener it
// matches and returns; delivery happens on notify's own threads, with retries, until each
// handler confirms it. docs/delivery.md states the guarantees.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/event.hpp"
#include "notify/core/event_bus.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/log.hpp"
#include "notify/core/retry_policy.hpp"

namespace notify::core {

struct NotifierOptions {
    enum class OutboxMode {
        durable,  // in the store file: nothing fire() returned for is lost to a crash
        memory,   // in this process's memory: faster; everything undelivered dies with it
    };

    std::filesystem::path store_path;  // listeners (and the durable outbox)
    OutboxMode outbox = OutboxMode::durable;
    bool sync_full = false;   // fsync every commit: also survive power loss (much slower)
    bool dispatch = true;     // deliver from this process; false: only store (e.g. a CLI)
    int workers = 4;          // delivery threads
    int listener_concurrency = 2;  // deliveries of one listener at once; < workers
    std::size_t listener_prefetch = 256;  // deliveries of one listener held in memory
    RetryPolicy retry;
    std::chrono::milliseconds lease = std::chrono::seconds(60);  // silence after which another process takes over
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(250);  // listener changes, other processes' work
    std::shared_ptr<const HandlerRegistry> handlers = std::make_shared<HandlerRegistry>();
    std::map<std::string, nlohmann::json, std::less<>> handler_sections;  // server.conf sections by name
    LogFunction log = log_to_stderr;
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

// Thread-safe: any thread may call any method. Construction opens the store (creating it
// if needed), loads the listeners and, with `dispatch`, starts delivery threads; the
// destructor stops them (see stop()).
class Notifier {
public:
    // Throws notify::StoreError for an unusable store, notify::ValidationError for
    // inconsistent options.
    explicit Notifier(NotifierOptions options);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Stores one delivery per matching listener in one transaction (sharing the commit with
    // concurrent callers), publishes the event on bus(), and returns. In durable mode the
    // deliveries survive a crash of this process from the moment fire() returns. No network
    // I/O. Throws notify::StoreError when it could not be stored (then nothing was), and
    // notify::Error after stop().
    FireReceipt fire(const Event& event);

    // Waits until every delivery in the outbox when it was called (fired by this notifier
    // or left by earlier runs and other processes) is delivered or dead, or until
    // `deadline`. True when none of them is still pending.
    bool flush(std::chrono::steady_clock::time_point deadline);

    // Stops accepting fire(), lets deliveries in flight finish until `deadline`, then asks
    // handlers to abandon the rest. Undelivered deliveries stay in the outbox (parked) for
    // the next start or another process. Idempotent.
    void stop(std::chrono::steady_clock::time_point deadline);

    // Where each delivery of a fire() stands now.
    std::vector<DeliveryStatus> status(const FireReceipt& receipt);

    std::vector<ListenerStats> stats();
    std::vector<DeliveryRecord> pending(std::size_t limit = 1000);
    std::vector<DeliveryRecord> dead_letters(std::size_t limit = 1000);
    // Makes a dead letter pending again, attempts reset. Returns how many (0 or 1).
    std::size_t retry_dead(std::string_view delivery_id);
    std::size_t retry_all_dead();
    std::size_t purge_dead();

    ListenerStore& listeners() noexcept;
    // In-process subscribers see every fired event after it was stored.
    EventBus& bus() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The delivery id of `event_id` for `listener_id`: a name-based UUID (version 5), so the same
// event fired twice to one listener carries the same id.
std::string delivery_id(std::string_view event_id, std::string_view listener_id);

}  // namespace notify::core
