// Notifier and its store: what a failed fire() leaves (nothing), rows a stopped or vanished
// process left, stored events that cannot be read back, storing without delivering, and
// the in-memory outbox that keeps nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "notifier_fixture.hpp"
#include "raw_sql.hpp"
#include "notify/core/error.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;
using Catch::Contains;

TEST_CASE("a fire() whose insert fails gives its place in the listener's lane back", "[notifier]") {
    NotifierFixture f;
    const auto id = ListenerStore(f.store).create(f.listener({"#"})).id;
    auto o = f.options();
    o.listener_prefetch = 2;  // a place kept by each failed fire() would fill the lane for good
    Notifier notifier(o);
    // The store refuses the rows of one event type, as a full disk would refuse them all.
    raw_sql(f.store, "CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.event LIKE '%refused.item%' "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    for (int i = 0; i < 3; ++i) CHECK_THROWS_WITH(notifier.fire(Event("refused.item")), Contains("refused by the test"));

    std::vector<std::string> fired;
    for (int i = 0; i < 4; ++i) {
        const auto receipt = notifier.fire(Event("good.item"));
        REQUIRE(receipt.deliveries.size() == 1);
        fired.push_back(receipt.deliveries.front().delivery_id);
    }
    REQUIRE(notifier.flush(in(5s)));
    std::vector<std::string> delivered;
    for (const auto& a : f.recorder->delivered(id)) delivered.push_back(a.delivery_id);
    std::sort(delivered.begin(), delivered.end());
    std::sort(fired.begin(), fired.end());
    CHECK(delivered == fired);  // each once (two at a time: in any order)
    CHECK(stats_of(notifier.stats(), id).pending == 0);
}

TEST_CASE("a fire() that cannot store the row of one of its listeners stores none", "[notifier]") {
    NotifierFixture f;
    ListenerStore listeners(f.store);
    const auto first = listeners.create(f.listener({"#"}));
    const auto second = listeners.create(f.listener({"#"}));
    Notifier notifier(f.options());
    raw_sql(f.store, "CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.listener_id = '" + second.id +
                         "' AND NEW.event LIKE '%refused.item%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    // Whichever listener's row comes first, the event is stored for both or for neither: a
    // host that fires it again must not cause a duplicate.
    CHECK_THROWS_WITH(notifier.fire(Event("refused.item")), Contains("refused by the test"));
    const auto batch = std::vector<Event>{Event("fine.item"), Event("refused.item")};
    CHECK_THROWS_WITH(notifier.fire(std::span<const Event>(batch)), Contains("refused by the test"));
    REQUIRE(notifier.flush(in(5s)));
    CHECK(f.recorder->all().empty());
    CHECK(stats_of(notifier.stats(), first.id).delivered == 0);
    CHECK(notifier.fire(Event("fine.item")).deliveries.size() == 2);
    REQUIRE(notifier.flush(in(5s)));
    CHECK(count_delivered(f.recorder->all(), first.id) == 1);
    CHECK(count_delivered(f.recorder->all(), second.id) == 1);
}

TEST_CASE("a row owned by a process the store no longer knows is delivered at the next start", "[notifier]") {
    NotifierFixture f;
    const auto id = ListenerStore(f.store).create(f.listener({"#"})).id;
    std::string delivery;
    {
        auto storing = f.options();
        storing.dispatch = false;
        Notifier n(storing);
        delivery = n.fire(Event("late.insert")).deliveries.at(0).delivery_id;
    }
    // As a stopping process leaves a row whose insert committed after it released its rows
    // and left the process registry.
    raw_sql(f.store, "UPDATE outbox SET owner = 999");
    Notifier n(f.options());
    REQUIRE(n.flush(in(5s)));
    const auto delivered = f.recorder->delivered(id);
    REQUIRE(delivered.size() == 1);
    CHECK(delivered.front().delivery_id == delivery);
}

TEST_CASE("a stored event that cannot be read is a dead letter naming why, and the rest are delivered", "[notifier]") {
    NotifierFixture f;
    const auto id = ListenerStore(f.store).create(f.listener({"#"})).id;
    std::vector<std::string> fired;
    {
        auto storing = f.options();
        storing.dispatch = false;
        Notifier n(storing);
        for (const char* type : {"kept.first", "damaged.json", "damaged.member", "kept.last"}) {
            fired.push_back(n.fire(Event(type)).deliveries.at(0).delivery_id);
        }
    }
    // Damaged behind notify's back: text that is not JSON, and an event without its id.
    raw_sql(f.store, "UPDATE outbox SET event = '{\"type\": \"damaged.json\", ' WHERE delivery_id = '" + fired[1] + "'");
    raw_sql(f.store, "UPDATE outbox SET event = json_remove(event, '$.id') WHERE delivery_id = '" + fired[2] + "'");
    Notifier n(f.options());
    REQUIRE(n.flush(in(5s)));
    std::vector<std::string> delivered;
    for (const auto& a : f.recorder->delivered(id)) delivered.push_back(a.delivery_id);
    // Attempts of a blocking handler may run at once and finish in any order (docs/delivery.md).
    std::sort(delivered.begin(), delivered.end());
    std::vector<std::string> readable{fired[0], fired[3]};
    std::sort(readable.begin(), readable.end());
    CHECK(delivered == readable);
    const auto dead = n.dead_letters();
    REQUIRE(dead.size() == 2);
    std::map<std::string, std::string> reasons;
    for (const auto& d : dead) {
        CHECK(d.attempts == 0);  // never handed to the handler
        reasons[d.delivery_id] = d.last_error;
    }
    CHECK_THAT(reasons[fired[1]], Catch::StartsWith("stored event unreadable: "));
    CHECK_THAT(reasons[fired[2]], Catch::StartsWith("stored event unreadable: ") && Contains("missing \"id\""));
    const auto stats = stats_of(n.stats(), id);
    CHECK(stats.dead == 2);
    CHECK(stats.delivered == 2);
    CHECK(stats.pending == 0);
}

TEST_CASE("stop leaves undelivered deliveries in the outbox and the next start sends them", "[notifier]") {
    NotifierFixture f;
    {
        Notifier n(f.options());
        n.listeners().create(f.listener({"#"}, {{"mode", "ok"}, {"delay_ms", 20}}));
    }
    std::vector<std::string> fired;
    {
        Notifier notifier(f.options());
        for (int i = 0; i < 60; ++i) fired.push_back(notifier.fire(Event("slow.item")).deliveries[0].delivery_id);
        notifier.stop(in(100ms));
        CHECK_THROWS_AS(notifier.fire(Event("late.item")), notify::Error);
    }
    const auto before_restart = f.recorder->all().size();
    CHECK(before_restart < 60);
    Notifier again(f.options());
    REQUIRE(f.recorder->wait_for([&](const auto& all) {
        std::set<std::string> got;
        for (const auto& a : all) got.insert(a.delivery_id);
        return got.size() == 60;
    }, 10s));
    REQUIRE(again.flush(in(5s)));
    std::set<std::string> got;
    for (const auto& a : f.recorder->all()) got.insert(a.delivery_id);
    CHECK(got == std::set<std::string>(fired.begin(), fired.end()));
    // Only what was in flight at the stop may have gone out twice.
    CHECK(f.recorder->all().size() - 60 <= 4);
}

TEST_CASE("events fired without delivery in this process wait in the outbox", "[notifier]") {
    NotifierFixture f;
    std::string id;
    {
        auto options = f.options();
        options.dispatch = false;
        Notifier producer(options);
        const auto l = producer.listeners().create(f.listener({"#"}));
        id = l.id;
        producer.fire(Event("queued.one"));
        producer.fire(Event("queued.two"));
        CHECK(stats_of(producer.stats(), l.id).pending == 2);
        CHECK(producer.pending().size() == 2);
    }
    CHECK(f.recorder->all().empty());
    Notifier deliverer(f.options());
    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, id) == 2; }, 5s));
}

TEST_CASE("the in-memory outbox delivers but keeps nothing after the process", "[notifier]") {
    NotifierFixture f;
    auto options = f.options();
    options.outbox = NotifierOptions::OutboxMode::memory;
    {
        Notifier n(f.options());
        n.listeners().create(f.listener({"#"}, {{"mode", "retry"}}));
        n.listeners().create(f.listener({"ok.#"}));
    }
    {
        Notifier notifier(options);
        notifier.fire(Event("ok.now"));
        notifier.fire(Event("never.ok"));
        REQUIRE(f.recorder->wait_for([](const auto& all) {
            return std::count_if(all.begin(), all.end(), [](const Attempt& a) { return a.outcome == "delivered"; }) == 1;
        }, 5s));
        CHECK_FALSE(notifier.pending().empty());  // the failing ones wait in memory
    }
    auto durable = f.options();
    durable.dispatch = false;
    Notifier after(durable);
    CHECK(after.pending().empty());
    CHECK(after.dead_letters().empty());
}
