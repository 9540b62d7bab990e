// RabbitMQ's management HTTP API: the way to declare exchanges and queues on RabbitMQ 3.x,
// whose AMQP 1.0 plugin cannot (internal).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "cancellation.hpp"
#include "notify/core/error.hpp"
#include "settings.hpp"

namespace notify::handlers::amqp {

// A management API failure. `permanent`: asking again cannot help (wrong credentials,
// unknown vhost, an exchange of another type); otherwise it may (broker down, 5xx).
class ManagementError : public notify::Error {
public:
    ManagementError(const std::string& what, bool permanent) : notify::Error(what), permanent_(permanent) {}
    bool permanent() const noexcept { return permanent_; }

private:
    bool permanent_;
};

// Thread-safe (each call is one HTTP request on the calling thread's curl handle).
class Management {
public:
    // `cancel` (may be null) ends calls under way when it is cancelled; it must outlive them.
    explicit Management(const AmqpSettings& settings, curl::Cancellation* cancel = nullptr)
        : settings_(settings), cancel_(cancel) {}

    // Creates `name` as a topic exchange (durable as [messaging] exchange_durable says) when it
    // is missing; uses an existing topic
    // exchange as it is (durable or not); throws a permanent ManagementError naming the type
    // when it exists as another type. Names starting with "amq." are RabbitMQ's own and
    // always exist: nothing is asked for them.
    void ensure_topic_exchange(std::string_view name) const;
    // A non-durable queue that deletes itself when its last consumer goes, and after
    // `expires` without one (so nothing is left behind even if the consumer is killed).
    void declare_queue(std::string_view name, std::chrono::milliseconds expires) const;
    void bind(std::string_view exchange, std::string_view queue, std::string_view routing_key) const;
    void delete_queue(std::string_view name) const;
    void delete_exchange(std::string_view name) const;

private:
    // The response body of a 2xx answer; std::nullopt for 404 when `missing_ok`.
    std::optional<std::string> call(const char* method, const std::string& path, const std::string& body,
                                    std::string_view what, bool missing_ok = false) const;
    std::string exchange_path(std::string_view name) const;

    AmqpSettings settings_;
    curl::Cancellation* cancel_;
};

}  // namespace notify::handlers::amqp
