// The outbox contract (core/src/outbox.hpp), run against both engines: SQLite (a store file)
// and PostgreSQL (a schema of the test server). What one engine does, the other must.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "outbox.hpp"
#include "pg_outbox.hpp"
#include "pg_scratch.hpp"
#include "process_identity.hpp"
#include "temp_dir.hpp"

using namespace notify::core;
using notify::store::postgresql::PgOutbox;

namespace {

// A store file; open() is another process's view of it.
struct SqliteEngine {
    notify::test::TempDir dir;
    std::unique_ptr<Outbox> open() {
        return Outbox::open_file(dir / "notify.db", false, [](LogLevel, std::string_view) {});
    }
};

// A scratch schema of the test server; open() is another process's connection to it.
struct PostgresEngine {
    notify::test::ScratchSchema schema;
    std::unique_ptr<Outbox> open() {
        const auto& server = notify::test::PostgresServer::get();
        return std::make_unique<PgOutbox>(notify::store::postgresql::pg::ConnectOptions{server.url, server.password},
                                          schema.name);
    }
};

Micros wall_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Appends one event's row for `listener`, parked (owner 0) or owned by `owner`.
std::int64_t add(Outbox& o, const std::string& listener, Micros due_at, std::int64_t owner = 0) {
    const std::vector<OutboxInsert> inserts{{"d-" + std::to_string(due_at) + "-" + listener, listener, due_at, owner != 0}};
    return o.append(R"({"type":"repo.sync.finish"})", 10, inserts, owner).at(0);
}

std::vector<std::int64_t> seqs_of(const std::vector<OutboxRow>& rows) {
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.seq);
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("parked rows are claimed once, by due time then fire order", "[outbox]", SqliteEngine, PostgresEngine) {
    TestType engine;
    auto o = engine.open();
    const auto me = o->register_process(ProcessIdentity::self(), wall_now());
    const auto late = add(*o, "L", 300);
    const auto early = add(*o, "L", 100);
    const auto middle = add(*o, "L", 200);
    const auto owned = add(*o, "L", 50, me);
    add(*o, "other", 100);
    CHECK(late < early);
    CHECK(early < middle);
    CHECK(middle < owned);
    CHECK(o->next_due("L") == Micros{100});

    const auto first = o->claim("L", 250, 10, me);
    CHECK(seqs_of(first) == std::vector<std::int64_t>{early, middle});
    CHECK(std::all_of(first.begin(), first.end(), [](const OutboxRow& r) { return r.owned && r.listener_id == "L"; }));
    CHECK(first.at(0).event_json == R"({"type":"repo.sync.finish"})");
    CHECK(o->claim("L", 250, 10, me).empty());  // claimed rows and the owned one stay ours
    CHECK(o->next_due("L") == Micros{300});
    CHECK(seqs_of(o->claim("L", 400, 10, me)) == std::vector<std::int64_t>{late});
    CHECK_FALSE(o->next_due("L").has_value());
    CHECK(o->last_seq() >= owned);
}

TEMPLATE_TEST_CASE("processes claiming at once never take the same row", "[outbox]", SqliteEngine, PostgresEngine) {
    TestType engine;
    auto setup = engine.open();
    constexpr int rows = 300;
    std::set<std::int64_t> fired;
    for (int i = 0; i < rows; ++i) fired.insert(add(*setup, "L", i));
    std::mutex mutex;
    std::vector<std::int64_t> claimed;
    std::vector<std::thread> claimers;
    for (int p = 0; p < 3; ++p) {
        claimers.emplace_back([&] {
            auto o = engine.open();  // a process of its own
            const auto id = o->register_process(ProcessIdentity::self(), wall_now());
            while (true) {
                const auto got = o->claim("L", rows, 7, id);
                if (got.empty()) break;
                std::lock_guard lock(mutex);
                for (const auto& r : got) claimed.push_back(r.seq);
            }
        });
    }
    for (auto& t : claimers) t.join();
    const std::set<std::int64_t> unique(claimed.begin(), claimed.end());
    CHECK(claimed.size() == unique.size());  // nobody claimed a row twice
    CHECK(unique == fired);
}

TEMPLATE_TEST_CASE("outcomes delete, park for a retry or keep as a dead letter, and count", "[outbox]", SqliteEngine,
                   PostgresEngine) {
    TestType engine;
    auto o = engine.open();
    const auto me = o->register_process(ProcessIdentity::self(), wall_now());
    const auto other = o->register_process(ProcessIdentity::self(), wall_now());
    const auto ok = add(*o, "L", 1, me);
    const auto busy = add(*o, "L", 2, me);
    const auto refused = add(*o, "L", 3, me);
    const auto theirs = add(*o, "L", 4, other);
    o->complete({{ok, Completion::Kind::delivered, 1, 0, {}},
                 {busy, Completion::Kind::retry, 1, 900, "server busy"},
                 {refused, Completion::Kind::dead, 2, 500, "rejected: no such exchange"},
                 {theirs, Completion::Kind::delivered, 1, 0, {}}},  // not ours: left alone
                me, {{"L", {1, 1}}});
    CHECK(o->rows_by_seq({ok}).empty());
    const auto pending = o->rows(false, 10, "L");
    REQUIRE(seqs_of(pending) == std::vector<std::int64_t>{busy, theirs});
    CHECK_FALSE(pending[0].owned);
    CHECK(pending[0].due_at == 900);
    CHECK(pending[0].attempts == 1);
    CHECK(pending[0].last_error == "server busy");
    CHECK(pending[1].owned);
    const auto dead = o->rows(true, 10);
    REQUIRE(seqs_of(dead) == std::vector<std::int64_t>{refused});
    CHECK(dead[0].dead_at == Micros{500});
    CHECK(dead[0].last_error == "rejected: no such exchange");
    o->complete({}, me, {{"L", {2, 0}}});  // counts add up
    const auto counts = o->counts().at("L");
    CHECK(counts.parked == 1);
    CHECK(counts.owned == 1);
    CHECK(counts.dead == 1);
    CHECK(counts.delivered == 3);
    CHECK(counts.retried == 1);
    CHECK(counts.oldest_created == Micros{10});
}

TEMPLATE_TEST_CASE("a silent process's rows are taken over, and process ids are never handed out twice", "[outbox]", SqliteEngine,
                   PostgresEngine) {
    TestType engine;
    auto o = engine.open();
    const auto self = ProcessIdentity::self();
    const ProcessIdentity remote{"elsewhere", "boot", 1, 1};  // on another host: only silence tells
    const auto me = o->register_process(self, wall_now());
    const auto them = o->register_process(remote, wall_now());
    CHECK(them > me);
    const auto held = add(*o, "L", 1, them);
    CHECK(o->adopt_dead(self, me, wall_now(), 60'000'000) == 0);  // it spoke within the lease
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(o->adopt_dead(self, me, wall_now(), 5'000) == 1);  // silent for longer than 5 ms
    CHECK(seqs_of(o->claim("L", 10, 10, me)) == std::vector<std::int64_t>{held});
    CHECK_FALSE(o->heartbeat(them, wall_now()));  // it would learn it was taken for dead
    o->rejoin(remote, them, wall_now());
    CHECK(o->heartbeat(them, wall_now()));
    CHECK(o->heartbeat(me, wall_now()));

    o->release(them);
    CHECK_FALSE(o->heartbeat(them, wall_now()));
    CHECK(o->register_process(remote, wall_now()) > them);

    const auto orphan = add(*o, "L", 2, 987654);  // owned by a process nobody knows
    CHECK(o->adopt_orphans() == 1);
    CHECK(seqs_of(o->claim("L", 10, 10, me)) == std::vector<std::int64_t>{orphan});
}

TEMPLATE_TEST_CASE("dead letters are retried or purged, and rows are parked, pending or dropped", "[outbox]", SqliteEngine,
                   PostgresEngine) {
    TestType engine;
    auto o = engine.open();
    const auto me = o->register_process(ProcessIdentity::self(), wall_now());
    const auto a = add(*o, "L", 1, me);
    const auto b = add(*o, "L", 2, me);
    const auto c = add(*o, "M", 3, me);
    o->complete({{a, Completion::Kind::dead, 3, 100, "gave up"}, {b, Completion::Kind::dead, 3, 100, "gave up"}}, me, {});
    CHECK_FALSE(o->pending_up_to(b));  // both dead: nothing pending up to b
    CHECK(o->pending_up_to(c));

    const auto b_id = o->rows_by_seq({b}).at(0).delivery_id;
    CHECK(o->retry_dead(b_id, 700) == 1);
    const auto retried = o->rows_by_seq({b}).at(0);
    CHECK_FALSE(retried.dead_at.has_value());
    CHECK(retried.attempts == 0);
    CHECK(retried.due_at == 700);
    CHECK(o->pending_up_to(b));
    CHECK(o->purge_dead() == 1);
    CHECK(o->rows_by_seq({a}).empty());

    const auto d = add(*o, "M", 9, me);
    o->park({c, d}, me, 5);  // held but never attempted: back to the store, due by then
    const auto parked = o->rows_by_seq({c, d});
    REQUIRE(parked.size() == 2);
    for (const auto& r : parked) {
        CHECK_FALSE(r.owned);
        CHECK(r.due_at == (r.seq == c ? 3 : 5));  // never later than it was, nor than asked
    }
    CHECK(seqs_of(o->rows(false, 10, "M")) == std::vector<std::int64_t>{c, d});  // one listener's
    CHECK(seqs_of(o->rows(false, 10)) == std::vector<std::int64_t>{b, c, d});    // everyone's
    CHECK(seqs_of(o->rows(false, 2)) == std::vector<std::int64_t>{b, c});        // oldest first

    o->drop_listener("M");
    CHECK(o->rows_by_seq({c, d}).empty());
    CHECK(o->counts().count("M") == 0);
    const auto e = add(*o, "L", 4, me);
    const auto f = add(*o, "L", 5, me);
    o->complete({{e, Completion::Kind::dead, 1, 900, "gave up"}, {f, Completion::Kind::dead, 1, 900, "gave up"}}, me, {});
    CHECK(o->retry_dead(std::nullopt, 950) == 2);  // every dead letter
    CHECK(o->rows(true, 10).empty());
    CHECK(seqs_of(o->rows(false, 10, "L")) == std::vector<std::int64_t>{b, e, f});
}

TEMPLATE_TEST_CASE("another process learns of parked rows through changed(), without polling for them",
                   "[outbox]", SqliteEngine, PostgresEngine) {
    TestType engine;
    auto a = engine.open();
    auto b = engine.open();
    const auto quiet = [&] {  // drains what is pending; true once nothing more comes
        for (int i = 0; i < 200; ++i) {
            if (!b->changed()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    };
    const auto told = [&] {
        for (int i = 0; i < 400; ++i) {
            if (b->changed()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    };
    REQUIRE(quiet());
    CHECK_FALSE(b->changed());
    add(*a, "l1", 0);  // fired by a process that does not deliver
    CHECK(told());
    REQUIRE(quiet());
    const auto a_id = a->register_process(ProcessIdentity::self(), wall_now());
    add(*a, "l1", 0, a_id);
    REQUIRE(quiet());
    a->release(a_id);  // a stops: its row is parked for the others
    CHECK(told());
    REQUIRE(quiet());
    CHECK(b->claim("l1", wall_now(), 10, b->register_process(ProcessIdentity::self(), wall_now())).size() == 2);
}
