// Handlers the benches register in-process: they do nothing, or record when a delivery
// arrived, so that a bench measures notify and not a server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "notify/core/handler.hpp"
#include "notify/core/event.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/listener_store.hpp"

namespace notify::bench {

inline std::int64_t wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class NoopHandler : public core::Handler {
public:
    core::DeliveryResult deliver(const core::Delivery&) noexcept override { return core::DeliveryResult::delivered(); }
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}
};

// Records, per delivery, the wall-clock time since the event's "fired_us" (the firing
// process may be another one: the stamp travels as data).
class StampHandler : public core::Handler {
public:
    core::DeliveryResult deliver(const core::Delivery& d) noexcept override {
        const auto fired = d.event->data().value("fired_us", std::int64_t{0});
        {
            std::lock_guard lock(mutex);
            latencies_ms.push_back(static_cast<double>(wall_us() - fired) / 1000.0);
        }
        changed.notify_all();
        return core::DeliveryResult::delivered();
    }
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}

    static inline std::mutex mutex;
    static inline std::condition_variable changed;
    static inline std::vector<double> latencies_ms;  // under mutex
};

// A handler kind `kind` whose handlers are H.
template <typename H>
class Factory : public core::HandlerFactory {
public:
    explicit Factory(std::string kind) : kind_(std::move(kind)) {}
    std::string_view kind() const noexcept override { return kind_; }
    std::string_view config_section() const noexcept override { return kind_; }
    std::vector<std::string> formats() const override { return {"cloudevents"}; }
    void validate(core::Listener&, const nlohmann::json&) const override {}
    std::unique_ptr<core::Handler> create(const core::HandlerContext&) const override { return std::make_unique<H>(); }

private:
    std::string kind_;
};

// `n` listeners of `kind` for every repo.# event in the store at `store`.
inline void add_listeners(const core::StoreLocation& store, int n, const std::string& kind,
                          const core::LogFunction& log = core::log_to_stderr) {
    core::ListenerStore listeners(store, log);
    for (int i = 0; i < n; ++i) {
        core::Listener l;
        l.kind = kind;
        l.event_types.emplace_back("repo.#");
        listeners.create(l);
    }
}

// The event the benches fire.
inline core::Event sample_event() {
    return core::Event("repo.sync.finish",
                       {{"repo_id", "zoo"}, {"result", "success"}, {"summary", {{"units_added", 3}}}});
}

}  // namespace notify::bench
