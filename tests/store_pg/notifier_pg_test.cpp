// Notifier, ListenerStore and the process registry on a PostgreSQL store: what a fleet of
// hosts sharing one database sees. Each "process" here is a Notifier with connections of
// its own; tests/faults runs real `notify serve` processes.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "notifier_fixture.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"
#include "notify/store/postgresql.hpp"
#include "pg_scratch.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;

namespace {

// A scratch schema as the StoreLocation that server.conf's [store] url would give.
struct PgStore : NotifierFixture {
    ScratchSchema schema;
    core::StoreLocation location() const { return schema.location(); }
    core::NotifierOptions pg_options() const {
        auto o = options();
        o.store = location();
        return o;
    }
};

}  // namespace

TEST_CASE("on PostgreSQL, a listener one process creates and an event another fires reach a third process "
          "at once, though it polls only every minute",
          "[postgresql][notifier]") {
    PgStore s;
    auto delivering = s.pg_options();
    delivering.poll_interval = 60s;  // only a LISTEN/NOTIFY wake-up can explain a quick delivery
    core::Notifier serve(delivering);
    std::this_thread::sleep_for(300ms);  // its scheduler is listening

    core::ListenerStore admin(s.location());
    const auto listener = admin.create(PgStore::listener({"repo.sync.#"}));
    auto firing = s.pg_options();
    firing.dispatch = false;
    core::Notifier host(firing);
    // The host's own cache reads the listener at once (a fresh notifier); serve's was told.
    std::this_thread::sleep_for(200ms);
    const auto started = std::chrono::steady_clock::now();
    const auto receipt = host.fire(core::repo_finished(core::RepoOperation::sync, "zoo", core::RepoResult::success));
    REQUIRE(receipt.deliveries.size() == 1);
    CHECK(s.recorder->wait_for([&](const auto& all) { return count_delivered(all, listener.id) == 1; }, 5s));
    CHECK(std::chrono::steady_clock::now() - started < 20s);  // not the 60 s poll
    CHECK(host.flush(in(5000ms)));
    CHECK(host.status(receipt).at(0).state == core::DeliveryStatus::State::delivered);
    serve.stop(in(5000ms));
    host.stop(in(5000ms));
}

TEST_CASE("on PostgreSQL, a listener created elsewhere applies to a process's own fire() at once, though it polls "
          "only every minute",
          "[postgresql][notifier]") {
    PgStore s;
    auto delivering = s.pg_options();
    delivering.poll_interval = 60s;
    core::Notifier serve(delivering);
    std::this_thread::sleep_for(300ms);
    // The listener change alone announces itself: this process's fires carry no wake-up
    // (their rows are its own), so only the change's notification refreshes its listeners.
    const auto listener = core::ListenerStore(s.location()).create(PgStore::listener({"repo.sync.#"}));
    core::FireReceipt receipt;
    for (int i = 0; i < 100 && receipt.deliveries.empty(); ++i) {
        std::this_thread::sleep_for(50ms);
        receipt = serve.fire(core::repo_started(core::RepoOperation::sync, "zoo"));
    }
    REQUIRE(receipt.deliveries.size() == 1);
    CHECK(receipt.deliveries.at(0).listener_id == listener.id);
    CHECK(serve.flush(in(5000ms)));
    CHECK(count_delivered(s.recorder->all(), listener.id) == 1);
}

TEST_CASE("on PostgreSQL, every process sees one listener store and one outbox", "[postgresql][notifier]") {
    PgStore s;
    core::ListenerStore one(s.location());
    core::ListenerStore two(s.location());
    const auto created = one.create(PgStore::listener({"repo.publish.*"}));
    CHECK(two.get(created.id).event_types == created.event_types);
    CHECK(one.path().empty());

    auto o = s.pg_options();
    o.dispatch = false;
    core::Notifier a(o);
    core::Notifier b(o);
    const auto receipt = a.fire(core::repo_started(core::RepoOperation::publish, "zoo"));
    REQUIRE(receipt.deliveries.size() == 1);
    // The other process counts it as pending, and a third that delivers empties the outbox.
    const auto stats = b.stats();
    CHECK(stats_of(stats, created.id).pending == 1);
    core::Notifier serve(s.pg_options());
    CHECK(b.flush(in(10000ms)));
    CHECK(stats_of(b.stats(), created.id).delivered == 1);
    CHECK(count_delivered(s.recorder->all(), created.id) == 1);
}

TEST_CASE("a PostgreSQL store that cannot be reached is a StoreError naming the URL without its password",
          "[postgresql][notifier]") {
    PgStore s;
    auto location = s.location();
    location.password = "not-the-password";
    try {
        core::ListenerStore store(location);
        FAIL("opened with a wrong password");
    } catch (const StoreError& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(PostgresServer::get().url));
        CHECK_THAT(message, Catch::Contains("password authentication failed"));
        CHECK(message.find("not-the-password") == std::string::npos);
    }
    location.url = "postgresql://u:hunter2@127.0.0.1:1/nothing";
    location.password.clear();
    auto o = s.options();
    o.store = location;
    try {
        core::Notifier n(o);
        FAIL("opened a store on a closed port");
    } catch (const StoreError& e) {
        CHECK_THAT(e.what(), Catch::Contains("postgresql://u:***@127.0.0.1:1/nothing"));
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
}

TEST_CASE("events fired in the host's own transaction are delivered if and only if it commits",
          "[postgresql][notifier]") {
    PgStore s;
    core::ListenerStore admin(s.location());
    const auto listener = admin.create(PgStore::listener({"employee.#"}));
    auto hosting = s.pg_options();
    hosting.dispatch = false;
    core::Notifier host(hosting);
    core::Notifier serve(s.pg_options());

    // The host's own connection and table, in the same database.
    auto db = connect();
    const std::string orders = store::postgresql::quoted_schema(s.schema.name) + ".orders";
    db.exec("CREATE TABLE " + orders + " (id int PRIMARY KEY)");
    const auto event = [](int i) {
        return core::org_event(core::OrgService::employee, core::OrgObject::it, core::OrgAction::create,
                               "1c5e0d4a-5c8f-4a0b-9f0e-2d7c1e6b9a0" + std::to_string(i),
                               core::Timestamp(std::chrono::microseconds(0)));
    };

    SECTION("rolled back: the change and its event are both gone") {
        db.exec("BEGIN");
        db.exec("INSERT INTO " + orders + " VALUES (1)");
        const auto receipt = store::postgresql::fire_in_transaction(host, db.native(), event(1));
        REQUIRE(receipt.deliveries.size() == 1);
        CHECK(receipt.deliveries.at(0).listener_id == listener.id);
        db.exec("ROLLBACK");
        CHECK(serve.flush(in(5000ms)));
        std::this_thread::sleep_for(500ms);
        CHECK(s.recorder->all().empty());
        CHECK(core::ListenerStore(s.location()).list().size() == 1);
        CHECK(host.pending().empty());
    }
    SECTION("committed: delivered once, with the receipt's delivery id") {
        db.exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
        db.exec("INSERT INTO " + orders + " VALUES (2)");
        const auto receipt = store::postgresql::fire_in_transaction(host, db.native(), event(2));
        REQUIRE(receipt.deliveries.size() == 1);
        // Not visible to anyone before the commit.
        CHECK(host.pending().empty());
        db.exec("COMMIT");
        CHECK(s.recorder->wait_for([&](const auto& all) { return count_delivered(all, listener.id) == 1; }, 5s));
        CHECK(serve.flush(in(5000ms)));
        const auto all = s.recorder->all();
        REQUIRE(all.size() == 1);
        CHECK(all.at(0).delivery_id == receipt.deliveries.at(0).delivery_id);
        CHECK(all.at(0).event_type == "employee.it.create");
        CHECK(host.status(receipt).at(0).state == core::DeliveryStatus::State::delivered);
    }
    SECTION("without an open transaction, or on another store, nothing is written") {
        CHECK_THROWS_WITH(store::postgresql::fire_in_transaction(host, db.native(), event(3)),
                          Catch::Contains("the connection has no transaction open"));
        db.exec("BEGIN");
        CHECK_THROWS_AS(db.exec("SELECT 1/0"), StoreError);
        CHECK_THROWS_WITH(store::postgresql::fire_in_transaction(host, db.native(), event(3)),
                          Catch::Contains("no transaction open"));
        db.exec("ROLLBACK");
        auto file = s.options();
        file.dispatch = false;
        core::Notifier sqlite(file);
        db.exec("BEGIN");
        CHECK_THROWS_WITH(store::postgresql::fire_in_transaction(sqlite, db.native(), event(3)),
                          Catch::Contains("is not PostgreSQL"));
        db.exec("ROLLBACK");
        CHECK(host.pending().empty());
    }
}

TEST_CASE("two delivering processes on one store start a listener's deliveries in fire order",
          "[postgresql][notifier][order]") {
    PgStore s;
    const bool on_postgresql = GENERATE(false, true);
    INFO((on_postgresql ? "PostgreSQL" : "SQLite"));
    auto delivering = on_postgresql ? s.pg_options() : s.options();
    delivering.listener_concurrency = 1;
    delivering.listener_prefetch = 8;  // small claims: both processes ask for work often
    const auto listener =
        core::ListenerStore(delivering.store).create(PgStore::listener({"order.#"}, {{"delay_ms", 1}}));
    core::Notifier a(delivering);
    core::Notifier b(delivering);
    auto firing = delivering;
    firing.dispatch = false;
    core::Notifier host(firing);

    constexpr std::size_t events = 300;
    std::vector<std::string> fired;
    for (std::size_t i = 0; i < events; ++i) {
        const core::Event event("order.work", {{"n", i}});
        host.fire(event);
        fired.push_back(event.id());
        if (i % 10 == 9) std::this_thread::sleep_for(5ms);  // both processes wake up many times
    }
    REQUIRE(s.recorder->wait_for([&](const auto& all) { return count_delivered(all, listener.id) >= events; }, 60s));
    auto attempts = s.recorder->all();
    std::stable_sort(attempts.begin(), attempts.end(), [](const Attempt& x, const Attempt& y) { return x.at < y.at; });
    std::vector<std::string> started;
    for (const auto& attempt : attempts) started.push_back(attempt.event_id);
    CHECK(started == fired);
    a.stop(in(5000ms));
    b.stop(in(5000ms));
    const auto stats = stats_of(host.stats(), listener.id);
    CHECK(stats.delivered == events);
    CHECK(stats.pending + stats.in_flight == 0);
}
