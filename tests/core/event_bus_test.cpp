// EventBus: routing, ordering, exceptions, unsubscribe and concurrency guarantees.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "notify/core/error.hpp"
#include "notify/core/event_bus.hpp"

using namespace notify::core;

namespace {

struct Recorder {
    std::mutex mutex;
    std::vector<std::string> seen;
    void operator()(const std::string& what) {
        std::lock_guard lock(mutex);
        seen.push_back(what);
    }
    std::vector<std::string> take() {
        std::lock_guard lock(mutex);
        return std::exchange(seen, {});
    }
};

}  // namespace

TEST_CASE("subscribers get the events their pattern matches", "[bus]") {
    EventBus bus;
    Recorder rec;
    auto repo = bus.subscribe("repo.#", [&](const Event& e) { rec("repo:" + e.type()); });
    auto creates = bus.subscribe("employee.*.create", [&](const Event& e) { rec("create:" + e.type()); });
    auto all = bus.subscribe("*", [&](const Event& e) { rec("all:" + e.type()); });

    bus.publish(Event("repo.sync.finish"));
    CHECK(rec.take() == std::vector<std::string>{"repo:repo.sync.finish", "all:repo.sync.finish"});
    bus.publish(Event("employee.it.create"));
    CHECK(rec.take() == std::vector<std::string>{"create:employee.it.create", "all:employee.it.create"});
    bus.publish(Event("org_unit.it.create"));
    CHECK(rec.take() == std::vector<std::string>{"all:org_unit.it.create"});
    CHECK(bus.subscriber_count() == 3);
}

TEST_CASE("the slot receives the published event itself", "[bus]") {
    EventBus bus;
    const Event sent("repo.publish.finish", {{"repo_id", "zoo"}}, "pulp");
    std::optional<Event> received;
    auto sub = bus.subscribe("repo.publish.finish", [&](const Event& e) { received = e; });
    bus.publish(sent);
    REQUIRE(received.has_value());
    CHECK(*received == sent);
}

TEST_CASE("slots run in subscription order", "[bus]") {
    EventBus bus;
    std::vector<int> order;
    std::vector<Subscription> subs;
    for (int i = 0; i < 8; ++i) {
        subs.push_back(bus.subscribe(i % 2 ? "#" : "a.*", [&order, i](const Event&) { order.push_back(i); }));
    }
    bus.publish(Event("a.b"));
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
    order.clear();
    subs[2].unsubscribe();
    subs.push_back(bus.subscribe("#", [&order](const Event&) { order.push_back(8); }));
    bus.publish(Event("a.b"));
    CHECK(order == std::vector<int>{0, 1, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("a throwing slot neither stops other slots nor reaches the publisher", "[bus]") {
    std::vector<std::string> errors;
    EventBus bus([&](const Event& e, std::exception_ptr ex) {
        try {
            std::rethrow_exception(ex);
        } catch (const std::exception& x) {
            errors.push_back(e.type() + ": " + x.what());
        } catch (int code) {
            errors.push_back(e.type() + ": int " + std::to_string(code));
        }
    });
    std::vector<int> ran;
    auto a = bus.subscribe("#", [&](const Event&) { ran.push_back(1); });
    auto b = bus.subscribe("#", [&](const Event&) -> void { throw std::runtime_error("slot b broke"); });
    auto c = bus.subscribe("#", [&](const Event&) { ran.push_back(3); });
    auto d = bus.subscribe("#", [&](const Event&) -> void { throw 42; });
    auto e = bus.subscribe("#", [&](const Event&) { ran.push_back(5); });

    CHECK_NOTHROW(bus.publish(Event("x.y")));
    CHECK(ran == std::vector<int>{1, 3, 5});
    CHECK(errors == std::vector<std::string>{"x.y: slot b broke", "x.y: int 42"});
}

TEST_CASE("a throwing error callback is contained too", "[bus]") {
    EventBus bus([](const Event&, std::exception_ptr) { throw std::logic_error("callback broke"); });
    int ran = 0;
    auto a = bus.subscribe("#", [](const Event&) -> void { throw std::runtime_error("x"); });
    auto b = bus.subscribe("#", [&](const Event&) { ++ran; });
    CHECK_NOTHROW(bus.publish(Event("x")));
    CHECK(ran == 1);
}

TEST_CASE("subscriptions end when destroyed, unsubscribed or moved over", "[bus]") {
    EventBus bus;
    int a = 0;
    int b = 0;
    {
        auto sub = bus.subscribe("#", [&](const Event&) { ++a; });
        CHECK(sub.active());
        bus.publish(Event("x"));
    }
    bus.publish(Event("x"));
    CHECK(a == 1);
    CHECK(bus.subscriber_count() == 0);

    auto s1 = bus.subscribe("#", [&](const Event&) { ++a; });
    auto s2 = std::move(s1);
    CHECK_FALSE(s1.active());
    CHECK(s2.active());
    bus.publish(Event("x"));
    CHECK(a == 2);

    s2 = bus.subscribe("#", [&](const Event&) { ++b; });  // the old one ends
    bus.publish(Event("x"));
    CHECK(a == 2);
    CHECK(b == 1);
    CHECK(bus.subscriber_count() == 1);

    s2.unsubscribe();
    s2.unsubscribe();  // idempotent
    CHECK_FALSE(s2.active());
    bus.publish(Event("x"));
    CHECK(b == 1);
    CHECK(bus.subscriber_count() == 0);

    Subscription empty;
    CHECK_FALSE(empty.active());
    empty.unsubscribe();
}

TEST_CASE("bad subscriptions are refused", "[bus]") {
    EventBus bus;
    CHECK_THROWS_AS(bus.subscribe("a..b", [](const Event&) {}), notify::ValidationError);
    CHECK_THROWS_AS(bus.subscribe("#", EventBus::Slot{}), std::invalid_argument);
    CHECK(bus.subscriber_count() == 0);
}

TEST_CASE("subscriptions may outlive their bus", "[bus]") {
    Subscription sub;
    {
        EventBus bus;
        sub = bus.subscribe("#", [](const Event&) {});
        bus.publish(Event("x"));
    }
    CHECK(sub.active());
    sub.unsubscribe();
    CHECK_FALSE(sub.active());
}

TEST_CASE("the route cache follows subscription changes", "[bus]") {
    EventBus bus;
    int hits = 0;
    bus.publish(Event("late.type"));  // cached as unrouted
    auto sub = bus.subscribe("late.*", [&](const Event&) { ++hits; });
    bus.publish(Event("late.type"));
    CHECK(hits == 1);
    sub.unsubscribe();
    bus.publish(Event("late.type"));
    CHECK(hits == 1);

    // More distinct types than one thread caches: every one still routes right.
    auto even = bus.subscribe("t.*.even", [&](const Event&) { ++hits; });
    hits = 0;
    for (int i = 0; i < 3000; ++i) {
        bus.publish(Event("t." + std::to_string(i) + (i % 2 ? ".odd" : ".even")));
    }
    CHECK(hits == 1500);
}

TEST_CASE("slots may publish, subscribe and unsubscribe", "[bus]") {
    EventBus bus;
    Recorder rec;
    Subscription late;
    Subscription self;
    auto outer = bus.subscribe("outer", [&](const Event&) {
        rec("outer");
        bus.publish(Event("inner"));
        if (!late.active()) late = bus.subscribe("outer", [&](const Event&) { rec("late"); });
    });
    auto inner = bus.subscribe("inner", [&](const Event&) { rec("inner"); });
    self = bus.subscribe("outer", [&](const Event&) {
        rec("self");
        self.unsubscribe();
    });

    bus.publish(Event("outer"));
    CHECK(rec.take() == std::vector<std::string>{"outer", "inner", "self"});
    bus.publish(Event("outer"));
    CHECK(rec.take() == std::vector<std::string>{"outer", "inner", "late"});
}

TEST_CASE("buses are independent", "[bus]") {
    int a = 0;
    int b = 0;
    auto bus_a = std::make_unique<EventBus>();
    EventBus bus_b;
    auto sa = bus_a->subscribe("#", [&](const Event&) { ++a; });
    auto sb = bus_b.subscribe("#", [&](const Event&) { ++b; });
    bus_a->publish(Event("x"));
    bus_b.publish(Event("x"));
    bus_b.publish(Event("x"));
    CHECK(a == 1);
    CHECK(b == 2);
    bus_a.reset();  // a new bus, perhaps at the same address, must not inherit its routes
    auto bus_c = std::make_unique<EventBus>();
    bus_c->publish(Event("x"));
    CHECK(a == 1);
}

TEST_CASE("every publish from every thread reaches every subscriber once", "[bus][threads]") {
    EventBus bus;
    std::atomic<long> hits{0};
    auto s1 = bus.subscribe("repo.#", [&](const Event&) { hits.fetch_add(1, std::memory_order_relaxed); });
    auto s2 = bus.subscribe("*.sync.*", [&](const Event&) { hits.fetch_add(1, std::memory_order_relaxed); });
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    std::vector<std::thread> pool;
    const Event event("repo.sync.finish");
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) bus.publish(event);
        });
    }
    for (auto& t : pool) t.join();
    CHECK(hits.load() == 2L * threads * per_thread);
}

TEST_CASE("no publish that starts after unsubscribe returned calls the slot", "[bus][threads]") {
    EventBus bus;
    std::atomic<long> sequence{0};
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0};

    std::vector<std::thread> publishers;
    for (int t = 0; t < 3; ++t) {
        publishers.emplace_back([&] {
            while (!stop.load()) {
                Event e("guarantee.check");
                e.set_data({{"seq", sequence.fetch_add(1)}});  // taken before publish starts
                bus.publish(e);
            }
        });
    }
    struct Round {
        std::shared_ptr<std::atomic<long>> max_seen = std::make_shared<std::atomic<long>>(-1);
        long cut = 0;  // first sequence number taken after unsubscribe() returned
    };
    std::vector<Round> rounds(200);
    for (auto& round : rounds) {
        auto max_seen = round.max_seen;
        auto sub = bus.subscribe("guarantee.#", [&calls, max_seen](const Event& e) {
            calls.fetch_add(1);
            const long seq = e.data().at("seq").get<long>();
            long seen = max_seen->load();
            while (seq > seen && !max_seen->compare_exchange_weak(seen, seq)) {
            }
        });
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        sub.unsubscribe();
        round.cut = sequence.load();
    }
    stop = true;
    for (auto& t : publishers) t.join();
    for (const auto& round : rounds) CHECK(round.max_seen->load() < round.cut);
    CHECK(calls.load() > 0);  // the subscriptions did see traffic
}

TEST_CASE("concurrent subscribe, unsubscribe and publish stay consistent", "[bus][threads]") {
    EventBus bus;
    std::atomic<bool> stop{false};
    std::atomic<long> stable_hits{0};
    std::atomic<long> churn_hits{0};
    auto stable = bus.subscribe("load.#", [&](const Event&) { stable_hits.fetch_add(1); });

    std::vector<std::thread> threads;
    std::atomic<long> published{0};
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            const Event e("load.t" + std::to_string(t));
            while (!stop.load()) {
                bus.publish(e);
                published.fetch_add(1);
            }
        });
    }
    threads.emplace_back([&] {
        while (!stop.load()) {
            auto sub = bus.subscribe("load.*", [&](const Event&) { churn_hits.fetch_add(1); });
            std::this_thread::yield();
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    for (auto& t : threads) t.join();
    CHECK(stable_hits.load() == published.load());
    CHECK(churn_hits.load() <= published.load());
    CHECK(bus.subscriber_count() == 1);
}
