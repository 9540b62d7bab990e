// A host firing events on its own thread while a fault case breaks things around it.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "notify/core/notifier.hpp"
#include "notify/core/well_known.hpp"

namespace notify::test {

// Fires repo.sync.start events (one delivery per matching listener) every `interval`, or in
// a tight loop for a zero interval, until stop(). Thread-safe: stop() from any one thread.
class Firer {
public:
    Firer(core::Notifier& notifier, std::chrono::microseconds interval) : notifier_(notifier), interval_(interval) {
        thread_ = std::thread([this] { run(); });
    }
    ~Firer() { stop(); }
    Firer(const Firer&) = delete;
    Firer& operator=(const Firer&) = delete;

    // Stops firing; the delivery ids of every fire() that returned.
    const std::vector<std::string>& stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return fired_;
    }

    std::size_t count() const noexcept { return count_; }

private:
    void run() {
        for (int i = 0; !stop_; ++i) {
            const auto receipt =
                notifier_.fire(core::repo_started(core::RepoOperation::sync, "repo-" + std::to_string(i)));
            for (const auto& d : receipt.deliveries) fired_.push_back(d.delivery_id);
            ++count_;
            if (interval_.count() > 0) std::this_thread::sleep_for(interval_);
        }
    }

    core::Notifier& notifier_;
    const std::chrono::microseconds interval_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> count_{0};
    std::vector<std::string> fired_;
    std::thread thread_;
};

// Fires `n` events at once; their delivery ids.
inline std::vector<std::string> fire_burst(core::Notifier& notifier, int n, int first = 0) {
    std::vector<std::string> ids;
    for (int i = first; i < first + n; ++i) {
        for (const auto& d : notifier.fire(core::repo_started(core::RepoOperation::sync, "burst-" + std::to_string(i))).deliveries) {
            ids.push_back(d.delivery_id);
        }
    }
    return ids;
}

}  // namespace notify::test
