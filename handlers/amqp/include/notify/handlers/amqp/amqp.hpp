// The "amqp" handler: events to a topic exchange of an AMQP 1.0 broker (Qpid Proton C++),
// with the event type as subject; and a consumer for tools and tests. docs/amqp.md.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::handlers::amqp {

// Registers the "amqp" handler kind (server.conf section [messaging]). Listener settings:
// {"exchange": name} (optional; default [messaging] topic_exchange). Formats: cloudevents
// (default), data, pulp.
void register_handler(core::HandlerRegistry& registry);
// The factory register_handler() adds (for plugins and hosts that build their own registry).
std::unique_ptr<core::HandlerFactory> make_factory();

// The broker answered that an exchange cannot be used: it exists as another type than
// topic, the credentials or the vhost are refused. Asking again cannot help.
class ExchangeRefused : public notify::Error {
public:
    using notify::Error::Error;
};

// Makes sure `exchange` exists as a topic exchange through the management API, as
// `notify listener amqp create` does: an existing one is used as it is, a missing one is
// created ([messaging] exchange_durable). The handler itself publishes first and creates
// the exchange only when the broker says it is missing. Does nothing with auto_create_exchange = false or for amq.topic. `messaging` is
// the [messaging] section as typed JSON. Throws ExchangeRefused when the broker refuses,
// notify::Error when it cannot be asked (unreachable), notify::ConfigError for a section
// that cannot work; each message names the exchange.
void ensure_exchange(const nlohmann::json& messaging, std::string_view exchange);

struct ReceivedMessage {
    std::string subject;
    std::string message_id;
    std::string content_type;
    bool durable = false;
    std::optional<core::Timestamp> creation_time;
    std::string body;
    std::map<std::string, std::string> properties;  // application properties, as text
};

// Receives what is published to `exchange` with a subject matching `pattern` (AMQP topic
// syntax). It declares its own queue (deleted when the consumer closes, and expiring even
// if the process is killed), so nothing is left on the broker. Thread-safe.
class Consumer {
public:
    // Throws notify::Error when the queue cannot be declared or the broker not reached within
    // [messaging] timeout.
    Consumer(const nlohmann::json& messaging, std::string exchange, std::string pattern);
    ~Consumer();
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    // The next message, or nullopt after `timeout` without one.
    std::optional<ReceivedMessage> next(std::chrono::milliseconds timeout);
    const std::string& queue() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace notify::handlers::amqp
