// A scripted handler kind "test" for delivery tests. Each listener's settings choose what it
// does: {"mode": "ok" | "flaky" (fails "fail_times" times per delivery, then ok) | "retry"
// (always asks to retry) | "reject" | "hang" (blocks until shutdown or release_hangs()),
// "delay_ms": n}. Attempts are recorded in a Recorder and, when the handler section names
// "record_file", appended there as one line each (for tests spanning processes).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notify/core/handler_registry.hpp"

namespace notify::test {

struct Attempt {
    std::string delivery_id;
    std::string listener_id;
    std::string event_id;
    std::string event_type;
    int attempt;
    std::string outcome;
    std::chrono::steady_clock::time_point at;
};

class Recorder {
public:
    void add(Attempt a) {
        std::lock_guard lock(mutex_);
        attempts_.push_back(std::move(a));
        changed_.notify_all();
    }
    std::vector<Attempt> all() const {
        std::lock_guard lock(mutex_);
        return attempts_;
    }
    std::vector<Attempt> delivered(const std::string& listener_id) const {
        std::vector<Attempt> out;
        for (auto& a : all()) {
            if (a.listener_id == listener_id && a.outcome == "delivered") out.push_back(a);
        }
        return out;
    }
    // Waits until `pred(attempts)` holds; false on timeout.
    template <typename Pred>
    bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return pred(attempts_); });
    }
    void release_hangs() {
        std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }
    void wait_released() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return released_; });
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Attempt> attempts_;
    bool released_ = false;
};

class ScriptedHandler : public core::Handler {
public:
    ScriptedHandler(std::shared_ptr<Recorder> recorder, std::string record_file)
        : recorder_(std::move(recorder)), record_file_(std::move(record_file)) {}

    core::DeliveryResult deliver(const core::Delivery& d) noexcept override {
        const auto start = std::chrono::steady_clock::now();
        const auto& settings = d.listener->settings;
        const std::string mode = settings.value("mode", "ok");
        if (const int delay = settings.value("delay_ms", 0); delay > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        }
        core::DeliveryResult result = core::DeliveryResult::delivered();
        if (mode == "hang") {
            recorder_->wait_released();
            result = core::DeliveryResult::retry("was hanging");
        } else if (mode == "retry") {
            result = core::DeliveryResult::retry("server busy");
        } else if (mode == "reject") {
            result = core::DeliveryResult::failed("no such exchange");
        } else if (mode == "flaky") {
            std::lock_guard lock(mutex_);
            if (failures_[d.id]++ < settings.value("fail_times", 1)) {
                result = core::DeliveryResult::retry("flaky failure " + std::to_string(failures_[d.id]));
            }
        }
        const std::string outcome(core::to_string(result.outcome()));
        recorder_->add({d.id, d.listener->id, d.event->id(), d.event->type(), d.attempt, outcome, start});
        if (!record_file_.empty()) append_line(d, outcome, start);
        return result;
    }

    void shutdown(std::chrono::steady_clock::time_point) noexcept override { recorder_->release_hangs(); }

private:
    void append_line(const core::Delivery& d, const std::string& outcome, std::chrono::steady_clock::time_point start) {
        const auto ns = [](std::chrono::steady_clock::time_point t) {
            return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
        };
        const std::string line = d.id + " " + d.listener->id + " " + d.event->id() + " " + std::to_string(d.attempt) +
                                 " " + outcome + " " + std::to_string(getpid()) + " " + std::to_string(ns(start)) +
                                 " " + std::to_string(ns(std::chrono::steady_clock::now())) + "\n";
        const int fd = ::open(record_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return;
        [[maybe_unused]] const auto written = ::write(fd, line.data(), line.size());
        ::close(fd);
    }

    std::shared_ptr<Recorder> recorder_;
    std::string record_file_;
    std::mutex mutex_;
    std::map<std::string, int> failures_;
};

class ScriptedFactory : public core::HandlerFactory {
public:
    explicit ScriptedFactory(std::shared_ptr<Recorder> recorder) : recorder_(std::move(recorder)) {}
    std::string_view kind() const noexcept override { return "test"; }
    std::string_view config_section() const noexcept override { return "test"; }
    std::vector<std::string> formats() const override { return {"cloudevents"}; }
    void validate(core::Listener&, const nlohmann::json&) const override {}
    std::unique_ptr<core::Handler> create(const core::HandlerContext& context) const override {
        return std::make_unique<ScriptedHandler>(recorder_, context.section.value("record_file", ""));
    }

private:
    std::shared_ptr<Recorder> recorder_;
};

}  // namespace notify::test
