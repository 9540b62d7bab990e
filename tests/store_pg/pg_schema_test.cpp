// notify's tables on a real PostgreSQL 15: created once, migrated once by processes that
// open a new database together, and foreign or newer schemas left alone.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "notify/core/error.hpp"
#include "pg_env.hpp"
#include "pg_schema.hpp"
#include "pg_scratch.hpp"

using namespace notify::store::postgresql;
using notify::test::PostgresServer;
using notify::test::ScratchSchema;
using notify::test::connect;

namespace {

std::set<std::string> tables_of(pg::Connection& c, const std::string& schema) {
    const auto r = c.exec("SELECT tablename FROM pg_tables WHERE schemaname = $1", {schema});
    std::set<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.insert(r.text(i, 0));
    return out;
}

std::vector<std::int64_t> versions_of(pg::Connection& c, const std::string& schema) {
    const auto r = c.exec("SELECT version FROM " + quoted_schema(schema) + ".schema_version ORDER BY version");
    std::vector<std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.integer(i, 0));
    return out;
}

}  // namespace

TEST_CASE("a new schema gets notify's tables at the current version, once", "[postgresql][schema]") {
    ScratchSchema s;
    auto c = connect();
    open_schema(c, s.name);
    CHECK(tables_of(c, s.name) ==
          std::set<std::string>{"delivery_counts", "listeners", "outbox", "processes", "schema_version", "store_meta"});
    CHECK(versions_of(c, s.name) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
    CHECK(c.exec("SELECT value FROM " + quoted_schema(s.name) + ".store_meta WHERE key = 'listeners_revision'").integer(0, 0) == 0);
    // The server's clock, in microseconds, for leases.
    const auto skew = c.exec("SELECT abs(" + quoted_schema(s.name) +
                             ".now_us() - (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)").integer(0, 0);
    CHECK(skew < 1'000'000);

    c.exec("INSERT INTO " + quoted_schema(s.name) + ".store_meta (key, value) VALUES ('kept', 7)");
    open_schema(c, s.name);  // already current: nothing runs again
    CHECK(versions_of(c, s.name) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
    CHECK(c.exec("SELECT value FROM " + quoted_schema(s.name) + ".store_meta WHERE key = 'kept'").integer(0, 0) == 7);
}

TEST_CASE("processes opening a new database at once create its schema once", "[postgresql][schema]") {
    ScratchSchema s;
    constexpr int openers = 6;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    std::atomic<bool> go{false};
    for (int i = 0; i < openers; ++i) {
        threads.emplace_back([&] {
            try {
                auto c = connect();
                while (!go) std::this_thread::yield();
                open_schema(c, s.name);
            } catch (const std::exception& e) {
                ++failures;
                UNSCOPED_INFO(e.what());
            }
        });
    }
    go = true;
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    auto c = connect();
    CHECK(versions_of(c, s.name) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("a schema written by a newer notify is refused and left untouched", "[postgresql][schema]") {
    ScratchSchema s;
    auto c = connect();
    open_schema(c, s.name);
    c.exec("INSERT INTO " + quoted_schema(s.name) + ".schema_version (version) VALUES (99)");
    try {
        open_schema(c, s.name);
        FAIL("no error");
    } catch (const notify::StoreUnusable& e) {
        CHECK(std::string(e.what()) == PostgresServer::get().url + ": schema " + s.name +
                                           " was written by a newer notify (store schema 99, this build knows up to 5); left untouched");
    }
    CHECK(versions_of(c, s.name) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 99});
}

TEST_CASE("a schema holding another program's tables is refused and left untouched", "[postgresql][schema]") {
    ScratchSchema s;
    auto c = connect();
    c.exec("CREATE SCHEMA " + quoted_schema(s.name));
    c.exec("CREATE TABLE " + quoted_schema(s.name) + ".invoices (id int)");
    try {
        open_schema(c, s.name);
        FAIL("no error");
    } catch (const notify::StoreUnusable& e) {
        CHECK_THAT(std::string(e.what()), Catch::EndsWith(": schema " + s.name +
                                                          " holds 1 tables but no notify schema_version: another program's; notify will not touch it"));
    }
    CHECK(tables_of(c, s.name) == std::set<std::string>{"invoices"});
}

TEST_CASE("a schema name PostgreSQL would change or that needs quoting is refused", "[postgresql][schema]") {
    for (const std::string& bad : std::vector<std::string>{"", "Notify", "1notify", "no-tify", "a\"b", std::string(64, 'a')}) {
        INFO(bad);
        CHECK_THROWS_AS(quoted_schema(bad), notify::ValidationError);
    }
    CHECK(quoted_schema("notify_2") == "\"notify_2\"");
}
