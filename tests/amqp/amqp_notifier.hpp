// A Notifier delivering through the amqp handler to the test broker, for the integration tests.
#pragma once

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "broker_env.hpp"
#include "handler_notifier.hpp"
#include "notify/handlers/amqp/amqp.hpp"

namespace notify::test {

inline std::string unique(const std::string& prefix) {
    static std::mt19937 rng(std::random_device{}());
    return prefix + "-" + std::to_string(rng() % 1000000000);
}

// A started Notifier with the amqp handler and the given listeners, created as the CLI
// creates them (checked by the handler's factory).
struct AmqpNotifier : HandlerNotifier {
    // One listener: event type patterns, format, exchange ("" = [messaging] topic_exchange).
    using ListenerSpec = std::tuple<std::vector<std::string>, std::string, std::string>;

    std::vector<std::string> listener_ids;

    explicit AmqpNotifier(const std::vector<ListenerSpec>& listeners,
                          nlohmann::json messaging = Broker::get().messaging(),
                          core::RetryPolicy retry = quick_retries(), bool dispatch = true)
        : HandlerNotifier([](core::HandlerRegistry& r) { handlers::amqp::register_handler(r); },
                          {{"messaging", std::move(messaging)}}, retry) {
        for (const auto& [patterns, format, exchange] : listeners) {
            nlohmann::json settings = nlohmann::json::object();
            if (!exchange.empty()) settings["exchange"] = exchange;
            listener_ids.push_back(add_listener(listener("amqp", patterns, settings, format)));
        }
        options.dispatch = dispatch;  // false: fire() only stores, until a start() with dispatch
        start();
    }
};

}  // namespace notify::test
