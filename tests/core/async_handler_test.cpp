// The asynchronous side of the handler port: a handler that confirms on its own thread gets
// up to its window of one listener's deliveries at once, and shutdown() settles the rest.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "test_handler.hpp"

#include "notifier_fixture.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;

namespace {

// Holds every delivery until release() (or shutdown()), then confirms it from its own thread.
class HoldingHandler : public Handler {
public:
    explicit HoldingHandler(std::size_t window) : window_(window) {}

    DeliveryResult deliver(const Delivery&) noexcept override { return DeliveryResult::retry("not used"); }

    void deliver_async(const Delivery& d, DeliveryCallback done) noexcept override {
        std::lock_guard lock(mutex_);
        held_.emplace_back(d.id, std::move(done));
        order_.push_back(d.id);
        max_held_ = std::max(max_held_, held_.size());
        changed_.notify_all();
    }

    std::size_t window() const noexcept override { return window_; }

    void shutdown(std::chrono::steady_clock::time_point) noexcept override {
        settle_all(DeliveryResult::retry("shutting down"));
    }

    // Waits until `n` deliveries are held at once.
    bool wait_held(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
    }
    std::vector<std::string> order() {
        std::lock_guard lock(mutex_);
        return order_;
    }
    std::size_t max_held() {
        std::lock_guard lock(mutex_);
        return max_held_;
    }
    // Confirms everything held so far, from another thread.
    void release() {
        std::thread([this] { settle_all(DeliveryResult::delivered()); }).join();
    }

private:
    void settle_all(const DeliveryResult& result) {
        std::deque<std::pair<std::string, DeliveryCallback>> held;
        {
            std::lock_guard lock(mutex_);
            held.swap(held_);
        }
        for (auto& [id, done] : held) done(result);
    }

    const std::size_t window_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::pair<std::string, DeliveryCallback>> held_;
    std::vector<std::string> order_;  // delivery ids in the order they were handed over
    std::size_t max_held_ = 0;
};

class HoldingFactory : public HandlerFactory {
public:
    explicit HoldingFactory(HoldingHandler*& created, std::size_t window = 16) : created_(created), window_(window) {}
    std::string_view kind() const noexcept override { return "hold"; }
    std::string_view config_section() const noexcept override { return "hold"; }
    std::vector<std::string> formats() const override { return {"cloudevents"}; }
    void validate(Listener&, const nlohmann::json&) const override {}
    std::unique_ptr<Handler> create(const HandlerContext&) const override {
        auto h = std::make_unique<HoldingHandler>(window_);
        created_ = h.get();
        return h;
    }

private:
    HoldingHandler*& created_;
    const std::size_t window_;
};

// Options whose only handler kind is "hold" (a HoldingHandler of `window`, put in `handler`
// once created), with one listener of it for every event in the store.
NotifierOptions holding_options(const NotifierFixture& f, HoldingHandler*& handler, std::size_t window = 16) {
    auto options = f.options();
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<HoldingFactory>(handler, window));
    options.handlers = registry;
    Listener l;
    l.kind = "hold";
    l.event_types.emplace_back("#");
    ListenerStore(options.store.path).create(l);
    return options;
}

}  // namespace

TEST_CASE("an asynchronous handler gets its window of deliveries at once, in fire order", "[notifier]") {
    NotifierFixture f;
    HoldingHandler* handler = nullptr;
    auto options = holding_options(f, handler);
    options.listener_concurrency = 2;

    Notifier n(options);
    std::vector<std::string> fired;
    for (int i = 0; i < 40; ++i) fired.push_back(n.fire(Event("repo.sync.start")).deliveries.at(0).delivery_id);
    REQUIRE(handler != nullptr);
    REQUIRE(handler->wait_held(16, 5s));
    std::this_thread::sleep_for(100ms);
    CHECK(handler->max_held() == 16);  // the window, never more
    while (!n.flush(in(100ms))) handler->release();
    CHECK(n.stats().at(0).delivered == 40);
    CHECK(handler->order() == fired);  // handed over in fire order, though 4 workers run

    // Held at stop: shutdown() settles them as retry, and they stay in the outbox.
    n.fire(Event("repo.sync.start"));
    REQUIRE(handler->wait_held(1, 5s));
    n.stop(in(200ms));
    auto reader = options;
    reader.dispatch = false;
    Notifier after(reader);
    CHECK(after.pending().size() == 1);
}

TEST_CASE("a lane whose whole prefetch was under way claims its parked rows as soon as attempts end",
          "[notifier]") {
    NotifierFixture f;
    HoldingHandler* handler = nullptr;
    auto options = holding_options(f, handler, 16);
    options.listener_prefetch = 16;  // the window: every delivery held is under way, none queued
    options.outbox = NotifierOptions::OutboxMode::memory;  // no store watching to wake the scheduler
    options.poll_interval = std::chrono::seconds(30);      // nor a poll: only the attempts' end may

    Notifier n(options);
    std::vector<std::string> fired;
    for (int i = 0; i < 64; ++i) fired.push_back(n.fire(Event("repo.sync.start")).deliveries.at(0).delivery_id);
    REQUIRE(handler != nullptr);
    for (int round = 0; round < 4; ++round) {
        INFO("round " << round);
        REQUIRE(handler->wait_held(16, 5s));  // 48 rows parked behind the first 16
        handler->release();
    }
    REQUIRE(n.flush(in(5s)));
    CHECK(n.stats().at(0).delivered == 64);
    CHECK(handler->order() == fired);
}

TEST_CASE("blocking handlers hanging on every worker do not hold up an asynchronous one", "[notifier]") {
    NotifierFixture f;
    HoldingHandler* handler = nullptr;
    auto options = f.options();  // 4 workers, 2 per listener
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<ScriptedFactory>(f.recorder));
    registry->add(std::make_unique<HoldingFactory>(handler));
    options.handlers = registry;
    {
        ListenerStore store(options.store.path);
        store.create(NotifierFixture::listener({"stuck.#"}, {{"mode", "hang"}}));
        store.create(NotifierFixture::listener({"stuck.#"}, {{"mode", "hang"}}));
        Listener l;
        l.kind = "hold";
        l.event_types.emplace_back("repo.#");
        store.create(l);
    }
    Notifier n(options);
    for (int i = 0; i < 8; ++i) n.fire(Event("stuck.item"));
    std::this_thread::sleep_for(300ms);  // both hanging listeners now hold 2 workers each: all 4
    for (int i = 0; i < 10; ++i) n.fire(Event("repo.sync.start"));
    REQUIRE(handler != nullptr);
    CHECK(handler->wait_held(10, 5s));
    handler->release();
    const auto delivered_by = [&](const std::string& kind) {
        std::uint64_t delivered = 0;
        for (const auto& s : n.stats()) {
            if (n.listeners().get(s.listener_id).kind == kind) delivered += s.delivered;
        }
        return delivered;
    };
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (delivered_by("hold") < 10 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    CHECK(delivered_by("hold") == 10);
    CHECK(delivered_by("test") == 0);
    n.stop(in(300ms));  // shutdown releases the hangs
}
