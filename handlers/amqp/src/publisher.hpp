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
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "notify/core/handler.hpp"
#include "notify/core/log.hpp"
#include "settings.hpp"

namespace notify::handlers::amqp {

struct BrokerInfo {
    std::string product;  // from the broker's open frame, e.g. "RabbitMQ"
    std::string version;  // e.g. "3.10.8"
};

// The outcome of one send: set once (first writer wins), awaited by the caller.
class Outcome {
public:
    void resolve(core::DeliveryResult result);
    std::optional<core::DeliveryResult> wait_until(std::chrono::steady_clock::time_point deadline);
    bool resolved();

private:
    std::mutex mutex_;
    std::condition_variable done_;
    std::optional<core::DeliveryResult> result_;
};

// Threads: Proton's handler callbacks run on the container thread only and touch the
// members under "container thread"; other threads reach that thread only through the
// connection's work_queue (whose add() result is checked). publish() and broker() are
// thread-safe and may run concurrently.
class Publisher : public proton::messaging_handler {
public:
    Publisher(AmqpSettings settings, core::LogFunction log);
    ~Publisher() override;

    // Sends to /exchange/<exchange> and waits until the broker settles it or `deadline`:
    // accepted = delivered, rejected = failed (with the broker's condition), released,
    // modified, a lost connection or no answer = retry.
    core::DeliveryResult publish(const std::string& exchange, proton::message message,
                                 std::chrono::steady_clock::time_point deadline);

    // Waits until connected (or `deadline`); what the broker said about itself, and the
    // number of the connection (it grows with every reconnect).
    std::optional<std::pair<BrokerInfo, std::uint64_t>> connected(std::chrono::steady_clock::time_point deadline);
    // Why the last connection attempt failed, if it did.
    std::string last_error();

    // Stops sending; calls waiting for an answer get retry. Idempotent.
    void close();

private:
    struct Waiting {
        proton::message message;
        std::shared_ptr<Outcome> outcome;
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
    void enqueue(const std::string& exchange, Waiting w);
    void open_link(const std::string& exchange, Link& link);
    void flush(Link& link);
    void fail_link(const std::string& exchange, const std::string& why);
    void connection_lost(const std::string& why);
    void fail_waiting(const std::string& why);
    void log(core::LogLevel level, const std::string& message) const;

    const AmqpSettings settings_;
    const core::LogFunction log_;

    // Container thread only.
    proton::connection connection_;
    std::map<std::string, Link> links_;  // by exchange
    std::map<proton::tracker, std::shared_ptr<Outcome>> in_flight_;
    std::uint64_t next_tag_ = 0;
    std::chrono::milliseconds reconnect_delay_{250};  // after a connection error ended reconnecting
    std::optional<std::chrono::steady_clock::time_point> opened_at_;  // of the current connection

    // Shared, under mutex_.
    std::mutex mutex_;
    std::condition_variable state_changed_;
    proton::work_queue* work_queue_ = nullptr;
    bool open_ = false;
    bool closed_ = false;
    std::uint64_t generation_ = 0;
    BrokerInfo broker_;
    std::string last_error_;

    proton::container container_;
    std::thread thread_;
};

}  // namespace notify::handlers::amqp
