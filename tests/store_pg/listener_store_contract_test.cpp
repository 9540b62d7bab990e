// ListenerStore over both store engines: SQLite (a store file) and PostgreSQL (a schema of
// the test server), each "process" with a store object of its own.
#include <catch2/catch.hpp>

#include <functional>
#include <thread>
#include <vector>

#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "outbox.hpp"
#include "pg_listener_rows.hpp"
#include "pg_outbox.hpp"
#include "pg_scratch.hpp"
#include "temp_dir.hpp"

using namespace notify::core;
namespace pgstore = notify::store::postgresql;

namespace {

struct SqliteListenerEngine {
    notify::test::TempDir dir;
    std::unique_ptr<ListenerStore> open() { return std::make_unique<ListenerStore>(dir / "notify.db"); }
    std::unique_ptr<Outbox> outbox() { return Outbox::open_file(dir / "notify.db", false, [](LogLevel, std::string_view) {}); }
};

struct PostgresListenerEngine {
    notify::test::ScratchSchema schema;
    static pgstore::pg::ConnectOptions options() {
        return {notify::test::PostgresServer::get().url, notify::test::PostgresServer::get().password};
    }
    std::unique_ptr<ListenerStore> open() {
        return std::make_unique<ListenerStore>(pgstore::pg_listener_rows(options(), schema.name));
    }
    std::unique_ptr<Outbox> outbox() { return std::make_unique<pgstore::PgOutbox>(options(), schema.name); }
};

Listener amqp_listener(const std::string& pattern) {
    Listener l;
    l.kind = "amqp";
    l.event_types.emplace_back(pattern);
    l.settings = {{"exchange", "pulp"}, {"password", "s3cret"}};
    l.secret_keys = {"password"};
    return l;
}

}  // namespace

TEMPLATE_TEST_CASE("listeners are created, found in any case, listed oldest first, updated and removed", "[listeners]",
                   SqliteListenerEngine, PostgresListenerEngine) {
    TestType engine;
    auto store = engine.open();
    const auto a = store->create(amqp_listener("repo.sync.finish"));
    const auto b = store->create(amqp_listener("employee.*.create"));
    CHECK(a.id.size() == 8);
    CHECK(a.id != b.id);

    auto other = engine.open();  // another process sees them as stored
    const auto found = other->get("  " + std::string(1, static_cast<char>(std::toupper(a.id[0]))) + a.id.substr(1) + " ");
    CHECK(found.id == a.id);
    CHECK(found.event_types.at(0).text() == "repo.sync.finish");
    CHECK(found.settings == a.settings);
    CHECK(found.secret_keys == std::vector<std::string>{"password"});
    CHECK(found.created == a.created);
    const auto all = other->list();
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == a.id);
    CHECK(all[1].id == b.id);

    CHECK(found.filter.empty());
    CHECK(found.transform.empty());
    CHECK_FALSE(found.rate.limited());
    CHECK(found.digest.count() == 0);
    CHECK(found.max_mails_per_hour == 0);
    auto changed = found;
    changed.settings["exchange"] = "pulp2";
    changed.filter = R"(.data.repo_id == "zoo")";
    changed.transform = R"({repo: .data.repo_id})";
    changed.rate = parse_rate("30/min");
    changed.digest = std::chrono::minutes(10);
    changed.max_mails_per_hour = 12;
    const auto updated = other->update(changed);
    CHECK(updated.created == a.created);
    const auto stored = store->get(a.id);
    CHECK(stored.settings["exchange"] == "pulp2");
    CHECK(stored.filter == R"(.data.repo_id == "zoo")");
    CHECK(stored.transform == R"({repo: .data.repo_id})");
    CHECK(to_string(stored.rate) == "30/min");
    CHECK(stored.digest == std::chrono::minutes(10));
    CHECK(stored.max_mails_per_hour == 12);
    for (const auto& spoil : std::vector<std::function<void(Listener&)>>{
             [](Listener& l) { l.filter = ".data =="; },
             [](Listener& l) { l.transform = "{repo: }"; },
             [](Listener& l) { l.digest = std::chrono::milliseconds(10); },
             [](Listener& l) { l.max_mails_per_hour = -1; },
             [](Listener& l) { l.rate.count = 1'000'000; }}) {
        auto broken = changed;
        spoil(broken);
        CHECK_THROWS_AS(other->update(broken), notify::ValidationError);
    }
    CHECK(store->get(a.id).filter == R"(.data.repo_id == "zoo")");
    CHECK(store->get(a.id).max_mails_per_hour == 12);

    store->remove(a.id);
    CHECK_FALSE(other->find(a.id).has_value());
    CHECK_THROWS_AS(other->remove(a.id), notify::NotFound);
    CHECK_THROWS_AS(other->update(changed), notify::NotFound);
    CHECK(other->list().size() == 1);
}

TEMPLATE_TEST_CASE("concurrent changes from several processes are applied one after the other", "[listeners]",
                   SqliteListenerEngine, PostgresListenerEngine) {
    TestType engine;
    const auto id = engine.open()->create(amqp_listener("#")).id;
    constexpr int processes = 4, changes = 15;
    std::vector<std::thread> threads;
    for (int p = 0; p < processes; ++p) {
        threads.emplace_back([&] {
            auto store = engine.open();
            for (int i = 0; i < changes; ++i) {
                store->modify(id, [](Listener& l) { l.settings["count"] = l.settings.value("count", 0) + 1; });
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(engine.open()->get(id).settings["count"] == processes * changes);  // none lost
}

TEMPLATE_TEST_CASE("a failed change leaves the listener as it was, and the revision moves with every change", "[listeners]",
                   SqliteListenerEngine, PostgresListenerEngine) {
    TestType engine;
    auto store = engine.open();
    auto observer = engine.open();
    const auto before = observer->revision();
    const auto l = store->create(amqp_listener("repo.#"));
    const auto created = observer->revision();
    CHECK(created > before);
    CHECK_THROWS_AS(store->modify(l.id, [](Listener& x) { x.event_types.clear(); }), notify::ValidationError);
    CHECK_THROWS_WITH(store->modify(l.id, [](Listener&) { throw notify::ValidationError("--exchange: refused"); }),
                      "--exchange: refused");
    CHECK(observer->get(l.id).event_types.size() == 1);
    CHECK(observer->revision() == created);
    store->modify(l.id, [](Listener& x) { x.format = "pulp2"; });
    CHECK(observer->revision() > created);
}

TEMPLATE_TEST_CASE("removing a listener removes its pending deliveries and counters", "[listeners]", SqliteListenerEngine,
                   PostgresListenerEngine) {
    TestType engine;
    auto store = engine.open();
    const auto gone = store->create(amqp_listener("#"));
    const auto kept = store->create(amqp_listener("#"));
    auto outbox = engine.outbox();
    const std::vector<OutboxInsert> rows{{"d1", gone.id, 1, false}, {"d2", kept.id, 1, false}};
    outbox->append(R"({"type":"repo.sync.finish"})", 1, rows, 0);
    outbox->complete({}, 0, {{gone.id, {3, 0}}});
    REQUIRE(outbox->counts().count(gone.id) == 1);
    store->remove(gone.id);
    const auto counts = outbox->counts();
    CHECK(counts.count(gone.id) == 0);
    CHECK(counts.at(kept.id).parked == 1);
}
