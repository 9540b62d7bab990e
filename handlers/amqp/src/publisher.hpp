// Publisher: one AMQP connection (with failover) on its own Proton container thread, sending
// confirmed messages to exchanges for any number of calling threads (internal).
#pragma once

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>
#include <proton/tracker.hpp>
#include <proton/work_queue.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "address.hpp"
#include "notify/core/handler.hpp"
#include "notify/core/log.hpp"
#include "settings.hpp"

struct pn_delivery_t;

namespace notify::handlers::amqp {

// Why a send did not get through, where the caller acts on it (not only reports it).
enum class SendFailure {
    none,                // delivered, or a failure with nothing to act on
    exchange_not_found,  // the broker ended the exchange's link or session with amqp:not-found
};

// The callback of a send: its result, and the failure it names (none when delivered).
using SendCallback = std::function<void(core::DeliveryResult, SendFailure)>;

// One send whose result is not known yet: set once (first writer wins), then handed to the
// callback. Thread-safe.
class PendingSend {
public:
    // `forget` runs just before `done` (to drop it from a registry).
    PendingSend(std::chrono::steady_clock::time_point deadline, SendCallback done,
                std::function<void(PendingSend*)> forget)
        : deadline_(deadline), done_(std::move(done)), forget_(std::move(forget)) {}
    // Sets the result unless one was set; the first call runs forget and the callback (on
    // this thread, with no lock of its own held). True for that first call.
    bool resolve(core::DeliveryResult result, SendFailure failure = SendFailure::none);
    bool resolved();
    std::chrono::steady_clock::time_point deadline() const noexcept { return deadline_; }

private:
    const std::chrono::steady_clock::time_point deadline_;
    std::mutex mutex_;
    bool resolved_ = false;
    SendCallback done_;
    std::function<void(PendingSend*)> forget_;
};

// Threads: Proton's handler callbacks run on the container thread only and touch the
// members under "container thread"; other threads reach that thread only through the
// connection's work_queue (whose add() result is checked). The connection's State is
// written by the container thread alone (close() only moves it to closing) and read by
// others under the mutex. publish_async(), connected(), last_error() and close() are
// thread-safe and may run concurrently.
class Publisher : public proton::messaging_handler {
public:
    Publisher(AmqpSettings settings, core::LogFunction log);
    ~Publisher() override;

    // Sends to the exchange (address form per [messaging] address_style); `done` gets the outcome exactly once, when the broker
    // settles it or at `deadline` (from the container thread, or from this one when it
    // cannot be sent now): accepted = delivered, rejected = failed (with the broker's
    // condition), released, modified, a lost connection or no answer = retry.
    // The message is encoded on the calling thread (one Proton cannot encode is failed).
    // Sends from many threads reach the container thread in batches: one wake-up for all
    // the messages handed over while it was busy.
    void publish_async(const std::string& exchange, proton::message message,
                       std::chrono::steady_clock::time_point deadline, SendCallback done);

    // Waits until connected (or `deadline`); what the broker said about itself, and the
    // number of the connection (it grows with every reconnect).
    std::optional<std::pair<BrokerInfo, std::uint64_t>> connected(std::chrono::steady_clock::time_point deadline);
    // Why the last connection attempt failed, if it did.
    std::string last_error();

    // Stops sending; every outcome not yet known becomes retry (callbacks run before it
    // returns). The connection is closed politely if the broker answers by `deadline`,
    // else dropped; returns by about `deadline` (at least 100 ms are given). Idempotent.
    void close(std::chrono::steady_clock::time_point deadline);

private:
    // Where the connection is. Each state names what publish_async() does with a message.
    enum class State {
        connecting,  // the first attempt is under way, or a reconnect: wait (first) or retry
        open,        // connected: messages go out
        between,     // a connection ended; the watchdog asks for the next at reconnect_at_: retry
        closing,     // close() has begun: nothing is sent or attempted any more
        closed,      // closing, and the last transport has ended (close() waits for this)
    };

    struct Waiting {
        std::vector<char> encoded;  // the message, encoded by the thread that handed it over
        std::shared_ptr<PendingSend> outcome;
    };
    // A counted reference to a Proton delivery (what proton::tracker holds), for sends made
    // with Proton's C API. Container thread only.
    class DeliveryRef {
    public:
        explicit DeliveryRef(pn_delivery_t* d) noexcept;
        DeliveryRef(DeliveryRef&& other) noexcept : d_(std::exchange(other.d_, nullptr)) {}
        DeliveryRef(const DeliveryRef&) = delete;
        DeliveryRef& operator=(const DeliveryRef&) = delete;
        DeliveryRef& operator=(DeliveryRef&&) = delete;
        ~DeliveryRef();

    private:
        pn_delivery_t* d_;
    };
    struct InFlight {
        DeliveryRef delivery;  // keeps the key's delivery alive while it is in the map
        std::shared_ptr<PendingSend> outcome;
    };
    struct Incoming {
        std::string exchange;
        Waiting waiting;
    };
    struct Link {
        proton::sender sender;  // empty until opened (again)
        std::deque<Waiting> waiting;
    };

    void on_container_start(proton::container& c) override;
    void on_connection_open(proton::connection& c) override;
    void on_transport_error(proton::transport& t) override;
    void on_transport_close(proton::transport& t) override;
    void on_connection_error(proton::connection& c) override;
    void on_session_error(proton::session& s) override;
    void on_sender_error(proton::sender& s) override;
    void on_sendable(proton::sender& s) override;
    void on_tracker_settle(proton::tracker& t) override;

    void wait_for_connection(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline);
    // Why publish_async() cannot hand a message over now (under mutex_), if it cannot.
    std::optional<core::DeliveryResult> refusal_locked() const;
    void enqueue(const std::string& exchange, Waiting w);
    // Moves what publish_async() handed over to the links (container thread).
    void take_incoming();
    void open_link(const std::string& exchange, Link& link);
    void flush(Link& link);
    void fail_link(const std::string& exchange, const std::string& why, SendFailure failure);
    void connection_lost(const std::string& why);
    void fail_waiting(const std::string& why);
    void log(core::LogLevel level, const std::string& message) const;
    std::string targets() const;  // the broker URLs, "a or b" with failover (no credentials)
    // Connects to the next broker URL (failover order), unless closing.
    void connect_next();
    // After a connection ended: when to try the next one.
    void plan_reconnect(bool refused);
    // Moves the state on (container thread, or close()); false when closing or closed,
    // which only close() and the end of the last transport leave.
    bool enter(State next);
    // The watchdog thread sleeps until the earliest send deadline or the planned reconnect:
    // outcomes past their deadline become retry, and a due reconnect is asked of the
    // container thread. Proton timers (its own reconnect included) would hold up
    // container::stop() until they fire, up to the longest backoff, and connection timers
    // outlive their connection in Proton 0.37.
    void watch_deadlines();
    // Drops a send from unresolved_ (under mutex_).
    void forget(PendingSend* send);

    const AmqpSettings settings_;
    const core::LogFunction log_;

    // Container thread only.
    proton::connection connection_;  // empty between a transport's end and the next attempt
    std::map<std::string, Link> links_;  // by exchange
    std::unordered_map<pn_delivery_t*, InFlight> in_flight_;  // sent, not yet settled
    std::uint64_t next_tag_ = 0;
    AddressStyle address_style_ = AddressStyle::v1;  // of the current connection
    std::size_t next_url_ = 0;  // index into settings_.urls of the next attempt (modulo)
    int failed_rounds_ = 0;     // rounds over every URL since a connection last lasted
    std::optional<std::chrono::steady_clock::time_point> opened_at_;  // of the current connection
    bool refused_ = false;  // the broker refused the last connection (vhost, access): wait longer

    // Shared, under mutex_.
    std::mutex mutex_;
    std::condition_variable state_changed_;
    State state_ = State::connecting;
    proton::work_queue* work_queue_ = nullptr;  // of the open connection
    std::uint64_t generation_ = 0;
    BrokerInfo broker_;
    std::string last_error_;
    // Every send whose outcome is not known yet, earliest deadline first.
    std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<PendingSend>> unresolved_;
    // Handed over by publish_async(), not yet taken by the container thread. A take_incoming()
    // is queued on the connection's work queue whenever this is not empty.
    std::vector<Incoming> incoming_;
    std::optional<std::chrono::steady_clock::time_point> reconnect_at_;  // the watchdog connects then

    proton::container container_;
    std::thread thread_;
    std::thread watchdog_;
};

}  // namespace notify::handlers::amqp
