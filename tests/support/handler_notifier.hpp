// A Notifier delivering through real handlers, with listeners checked by their factories
// (as the CLI creates them), for the handler integration tests.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "notify/config/settings.hpp"
#include "notify/core/notifier.hpp"
#include "temp_dir.hpp"

namespace notify::test {

// What the notifier logged, for tests that assert on it.
struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;

    std::vector<std::string> snapshot() {
        std::lock_guard lock(mutex);
        return lines;
    }
};

// Retries are quick here (100 ms doubling to 1 s) so that tests finish soon.
inline core::RetryPolicy quick_retries(int max_attempts = 25) {
    using namespace std::chrono_literals;
    core::RetryPolicy r;
    r.backoff_initial = 100ms;
    r.backoff_max = 1s;
    r.max_attempts = max_attempts;
    return r;
}

struct HandlerNotifier {
    TempDir dir;
    std::shared_ptr<core::HandlerRegistry> registry = std::make_shared<core::HandlerRegistry>();
    std::shared_ptr<LogLines> log = std::make_shared<LogLines>();
    core::NotifierOptions options;
    std::unique_ptr<core::Notifier> notifier;

    // `register_handlers` fills the registry; `sections` are server.conf sections by name.
    HandlerNotifier(const std::function<void(core::HandlerRegistry&)>& register_handlers,
                    std::map<std::string, nlohmann::json, std::less<>> sections,
                    core::RetryPolicy retry = quick_retries()) {
        using namespace std::chrono_literals;
        register_handlers(*registry);
        options.store.path = dir / "notify.db";
        options.handlers = registry;
        options.handler_sections = std::move(sections);
        options.retry = retry;
        options.poll_interval = 50ms;
        options.log = [log = log](core::LogLevel, std::string_view message) {
            std::lock_guard lock(log->mutex);
            log->lines.emplace_back(message);
        };
    }

    // Checks a listener with its factory against its section and stores it; the id.
    // Throws what the factory throws. Call before start().
    std::string add_listener(core::Listener listener) {
        const auto& factory = registry->get(listener.kind);
        const auto section = options.handler_sections.find(factory.config_section());
        factory.validate(listener, section == options.handler_sections.end() ? nlohmann::json::object() : section->second);
        core::ListenerStore store(options.store.path);
        return store.create(listener).id;
    }

    core::Notifier& start() {
        notifier = std::make_unique<core::Notifier>(options);
        return *notifier;
    }

    // Fires and waits until every delivery is confirmed or dead (or `timeout`).
    std::vector<core::DeliveryStatus> fire_and_flush(const core::Event& event,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        const auto receipt = notifier->fire(event);
        notifier->flush(std::chrono::steady_clock::now() + timeout);
        return notifier->status(receipt);
    }

    // Stops the notifier (letting deliveries finish until `deadline`); how long stop() took
    // and what is left in the outbox for the next start.
    std::pair<std::chrono::steady_clock::duration, std::vector<core::DeliveryRecord>> stop(
        std::chrono::steady_clock::time_point deadline) {
        const auto started = std::chrono::steady_clock::now();
        notifier->stop(deadline);
        const auto took = std::chrono::steady_clock::now() - started;
        notifier.reset();
        auto reader = options;
        reader.dispatch = false;
        return {took, core::Notifier(reader).pending()};
    }
};

// A listener value for add_listener().
inline core::Listener listener(std::string kind, const std::vector<std::string>& patterns, nlohmann::json settings,
                               std::string format = "cloudevents") {
    core::Listener l;
    l.kind = std::move(kind);
    for (const auto& p : patterns) l.event_types.emplace_back(p);
    l.settings = std::move(settings);
    l.format = std::move(format);
    return l;
}

}  // namespace notify::test
