// A Notifier delivering through the amqp handler to the test broker, for the integration tests.
#pragma once

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "broker_env.hpp"
#include "notify/core/notifier.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "handler_notifier.hpp"
#include "temp_dir.hpp"

namespace notify::test {

inline std::string unique(const std::string& prefix) {
    static std::mt19937 rng(std::random_device{}());
    return prefix + "-" + std::to_string(rng() % 1000000000);
}

struct AmqpNotifier {
    // One listener: event type patterns, format, exchange ("" = [messaging] topic_exchange).
    using ListenerSpec = std::tuple<std::vector<std::string>, std::string, std::string>;

    TempDir dir;
    std::shared_ptr<LogLines> log = std::make_shared<LogLines>();
    std::unique_ptr<core::Notifier> notifier;
    std::vector<std::string> listener_ids;

    explicit AmqpNotifier(const std::vector<ListenerSpec>& listeners,
                          nlohmann::json messaging = Broker::get().messaging(),
                          core::RetryPolicy retry = quick_retries()) {
        using namespace std::chrono_literals;
        auto registry = std::make_shared<core::HandlerRegistry>();
        handlers::amqp::register_handler(*registry);
        core::NotifierOptions o;
        o.store_path = dir / "notify.db";
        o.handlers = registry;
        o.handler_sections["messaging"] = messaging;
        o.retry = retry;
        o.poll_interval = 50ms;
        o.log = [log = log](core::LogLevel, std::string_view message) {
            std::lock_guard lock(log->mutex);
            log->lines.emplace_back(message);
        };
        {
            core::ListenerStore store(o.store_path);
            for (const auto& [patterns, format, exchange] : listeners) {
                core::Listener l;
                l.kind = "amqp";
                for (const auto& p : patterns) l.event_types.emplace_back(p);
                l.format = format;
                if (!exchange.empty()) l.settings = {{"exchange", exchange}};
                registry->get("amqp").validate(l, messaging);
                listener_ids.push_back(store.create(l).id);
            }
        }
        notifier = std::make_unique<core::Notifier>(o);
    }
};

}  // namespace notify::test
