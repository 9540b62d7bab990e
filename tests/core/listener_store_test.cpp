// ListenerStore: CRUD, secrets, revisions, two processes, damaged and foreign files.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "raw_sql.hpp"
#include "temp_dir.hpp"

using namespace notify::core;
using notify::test::raw_sql;
using notify::test::TempDir;
using Catch::Contains;

namespace {

Listener amqp_listener(std::vector<std::string> types = {"repo.sync.finish"}) {
    Listener l;
    l.kind = "amqp";
    for (auto& t : types) l.event_types.emplace_back(t);
    l.format = "data";
    l.settings = {{"exchange", "pulp"}};
    return l;
}

Listener http_listener_with_secret() {
    Listener l;
    l.kind = "http";
    l.event_types.emplace_back("#");
    l.settings = {{"url", "https://hooks.example/x"}, {"username", "bot"}, {"password", "hunter2"},
                  {"secret", "s3cr3t"}};
    l.secret_keys = {"password", "secret"};
    return l;
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("create assigns a short id and timestamps, and get returns what was stored", "[store]") {
    TempDir dir;
    ListenerStore store(dir / "notify.db");
    const auto before = now();
    const Listener created = store.create(amqp_listener({"repo.sync.finish", "repo.publish.*"}));
    CHECK(created.id.size() == 8);
    CHECK(created.id.find_first_not_of("23456789abcdefghjkmnpqrstuvwxyz") == std::string::npos);
    CHECK(created.created >= before);
    CHECK(created.updated == created.created);

    const Listener got = store.get(created.id);
    CHECK(got.id == created.id);
    CHECK(got.kind == "amqp");
    REQUIRE(got.event_types.size() == 2);
    CHECK(got.event_types[0].text() == "repo.sync.finish");
    CHECK(got.event_types[1].text() == "repo.publish.*");
    CHECK(got.format == "data");
    CHECK(got.settings == nlohmann::json{{"exchange", "pulp"}});
    CHECK(got.created == created.created);
    CHECK_FALSE(got.delay_until_effective);
    CHECK(got.matches("repo.publish.finish"));
    CHECK_FALSE(got.matches("repo.sync.start"));

    // Ids are typed by people: case and surrounding spaces do not matter.
    std::string shouted = created.id;
    for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(store.find(" " + shouted + "\n").has_value());
}

TEST_CASE("list, update and remove", "[store]") {
    TempDir dir;
    ListenerStore store(dir / "notify.db");
    const auto a = store.create(amqp_listener());
    const auto b = store.create(http_listener_with_secret());
    auto listed = store.list();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].id == a.id);
    CHECK(listed[1].id == b.id);

    Listener changed = a;
    changed.event_types = {TopicPattern("employee.#")};
    changed.delay_until_effective = true;
    changed.settings["exchange"] = "mo";
    const Listener updated = store.update(changed);
    CHECK(updated.created == a.created);
    CHECK(updated.updated >= a.updated);
    const Listener reread = store.get(a.id);
    CHECK(reread.event_types.front().text() == "employee.#");
    CHECK(reread.delay_until_effective);
    CHECK(reread.settings.at("exchange") == "mo");

    store.remove(a.id);
    CHECK_FALSE(store.find(a.id).has_value());
    CHECK(store.list().size() == 1);
}

TEST_CASE("unknown ids are reported by name and change nothing", "[store]") {
    TempDir dir;
    ListenerStore store(dir / "notify.db");
    store.create(amqp_listener());
    const auto revision = store.revision();
    CHECK_THROWS_WITH(store.get("nope1234"), Contains("no listener with id 'nope1234'"));
    Listener ghost = amqp_listener();
    ghost.id = "ghost234";
    CHECK_THROWS_AS(store.update(ghost), notify::NotFound);
    CHECK_THROWS_AS(store.remove("ghost234"), notify::NotFound);
    CHECK(store.revision() == revision);
    CHECK(store.list().size() == 1);
}

TEST_CASE("invalid listeners are refused and nothing is stored", "[store]") {
    TempDir dir;
    ListenerStore store(dir / "notify.db");
    const auto revision = store.revision();
    Listener no_types = amqp_listener();
    no_types.event_types.clear();
    CHECK_THROWS_WITH(store.create(no_types), Contains("at least one event type"));
    Listener bad_kind = amqp_listener();
    bad_kind.kind = "AMQP!";
    CHECK_THROWS_WITH(store.create(bad_kind), Contains("invalid handler kind 'AMQP!'"));
    Listener bad_format = amqp_listener();
    bad_format.format = "";
    CHECK_THROWS_AS(store.create(bad_format), notify::ValidationError);
    Listener twice = amqp_listener({"a.b", "a.b"});
    CHECK_THROWS_WITH(store.create(twice), Contains("'a.b' is given twice"));
    Listener array_settings = amqp_listener();
    array_settings.settings = nlohmann::json::array();
    CHECK_THROWS_AS(store.create(array_settings), notify::ValidationError);
    CHECK(store.list().empty());
    CHECK(store.revision() == revision);
}

TEST_CASE("secrets are kept but masked in every JSON form", "[store]") {
    TempDir dir;
    ListenerStore store(dir / "notify.db");
    const auto stored = store.get(store.create(http_listener_with_secret()).id);
    CHECK(stored.settings.at("password") == "hunter2");  // the handler needs the real value
    CHECK(stored.masked_settings().at("password") == "********");
    CHECK(stored.masked_settings().at("secret") == "********");
    CHECK(stored.masked_settings().at("username") == "bot");
    const std::string shown = to_json(stored).dump();
    CHECK(shown.find("hunter2") == std::string::npos);
    CHECK(shown.find("s3cr3t") == std::string::npos);
    CHECK(to_json(stored).at("settings").at("url") == "https://hooks.example/x");
    CHECK(to_json(stored).at("event_types") == nlohmann::json{"#"});
}

TEST_CASE("the store persists and reports revisions across instances", "[store]") {
    TempDir dir;
    const auto path = dir / "sub" / "folder" / "notify.db";  // folders are created
    std::string id;
    {
        ListenerStore store(path);
        id = store.create(amqp_listener()).id;
    }
    ListenerStore first(path);
    ListenerStore second(path);
    CHECK(first.get(id).kind == "amqp");
    const auto r0 = first.revision();
    second.create(amqp_listener());
    CHECK(first.revision() == r0 + 1);
    second.remove(id);
    CHECK(first.revision() == r0 + 2);
    CHECK(first.list().size() == 1);
}

TEST_CASE("two processes writing one store at once stay correct", "[store][process]") {
    TempDir dir;
    const auto path = dir / "shared.db";
    constexpr int per_process = 60;
    const auto work = [&](ListenerStore& store) {
        std::vector<std::string> ids;
        for (int i = 0; i < per_process; ++i) {
            ids.push_back(store.create(amqp_listener({"p.n" + std::to_string(i)})).id);
            if (i % 3 == 0) {
                auto l = store.get(ids.back());
                l.settings["touched"] = true;
                store.update(l);
            }
            if (i % 5 == 0) {
                const auto victim = ids.begin() + static_cast<long>(ids.size() / 2);
                store.remove(*victim);
                ids.erase(victim);
            }
        }
    };
    // Create one listener before forking, so any per-process id generator state exists and
    // is copied into the child (a copied seed once made both processes draw the same ids).
    std::string before_fork;
    {
        ListenerStore store(dir / "before-fork.db");
        before_fork = store.create(amqp_listener()).id;
    }
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 0;
        try {
            ListenerStore store(path);
            work(store);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child process: %s\n", e.what());
            code = 1;
        }
        _exit(code);
    }
    ListenerStore store(path);
    work(store);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    const auto all = store.list();
    constexpr int removed = (per_process + 4) / 5;
    CHECK(all.size() == 2 * (per_process - removed));
    std::set<std::string> ids;
    for (const auto& l : all) ids.insert(l.id);
    CHECK(ids.size() == all.size());
    // Every create, update and remove from both processes bumped the revision once.
    constexpr int updates = (per_process + 2) / 3;
    CHECK(store.revision() == 2u * (per_process + updates + removed));
}

TEST_CASE("a file that is not an SQLite database is refused and left untouched", "[store]") {
    TempDir dir;
    const auto path = dir / "notify.db";
    std::string junk(8192, '\0');
    std::mt19937 rng(7);
    for (char& c : junk) c = static_cast<char>(rng());
    write_bytes(path, junk);
    try {
        ListenerStore store(path);
        FAIL("opened");
    } catch (const notify::StoreError& e) {
        CHECK_THAT(e.what(), Contains(path.string()));
        CHECK_THAT(e.what(), Contains("not a database"));
        CHECK_THAT(e.what(), Contains("left untouched"));
    }
    CHECK(file_bytes(path) == junk);
    CHECK_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST_CASE("another program's SQLite database is refused and left untouched", "[store]") {
    TempDir dir;
    const auto path = dir / "app.db";
    raw_sql(path, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
    const std::string before = file_bytes(path);
    CHECK_THROWS_WITH(ListenerStore(path), Contains("another program") && Contains(path.string()));
    CHECK(file_bytes(path) == before);
}

TEST_CASE("a store written by a newer notify is refused and left untouched", "[store]") {
    TempDir dir;
    const auto path = dir / "notify.db";
    { ListenerStore store(path); }
    raw_sql(path, "PRAGMA user_version = 99;");
    const std::string before = file_bytes(path);
    CHECK_THROWS_WITH(ListenerStore(path), Contains("newer notify") && Contains("schema 99"));
    CHECK(file_bytes(path) == before);
}

TEST_CASE("a damaged store gives a clear error and is left untouched", "[store]") {
    TempDir dir;
    const auto path = dir / "notify.db";
    {
        ListenerStore store(path);
        for (int i = 0; i < 50; ++i) store.create(amqp_listener({std::string("t").append(std::to_string(i))}));
    }
    std::string bytes = file_bytes(path);
    REQUIRE(bytes.size() > 8192);
    bytes.resize(bytes.size() / 2);
    for (std::size_t i = 4096; i < bytes.size(); i += 7) bytes[i] = 'X';  // scribble over data pages
    write_bytes(path, bytes);
    try {
        ListenerStore store(path);
        store.list();
        FAIL("a damaged store was read without complaint");
    } catch (const notify::StoreError& e) {
        CHECK_THAT(e.what(), Contains(path.string()));
        CHECK_THAT(e.what(), Contains("malformed") || Contains("damaged") || Contains("not a database"));
    }
    CHECK(file_bytes(path) == bytes);
}

TEST_CASE("a store path that is a folder is refused", "[store]") {
    TempDir dir;
    CHECK_THROWS_WITH(ListenerStore(dir.path()), Contains("not a regular file"));
}

TEST_CASE("a new store is marked as notify's, versioned and in WAL mode", "[store]") {
    TempDir dir;
    const auto path = dir / "notify.db";
    { ListenerStore store(path); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const auto pragma = [&](const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
        std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        return value;
    };
    CHECK(pragma("PRAGMA application_id") == std::to_string(0x4e4f5446));
    CHECK(pragma("PRAGMA user_version") == "5");
    CHECK(pragma("PRAGMA journal_mode") == "wal");
    sqlite3_close(db);
    // Reopening a current store changes nothing.
    const std::string before = file_bytes(path);
    { ListenerStore again(path); }
    CHECK(file_bytes(path) == before);
}

TEST_CASE("a store of schema 1 is migrated and keeps its listeners", "[store]") {
    TempDir dir;
    const auto path = dir / "old.db";
    raw_sql(path, R"sql(
        PRAGMA journal_mode = WAL;
        CREATE TABLE listeners (id TEXT PRIMARY KEY, kind TEXT NOT NULL, event_types TEXT NOT NULL,
            format TEXT NOT NULL, settings TEXT NOT NULL, secret_keys TEXT NOT NULL,
            delay_until_effective INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL) STRICT;
        CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        INSERT INTO store_meta (key, value) VALUES ('listeners_revision', 3);
        INSERT INTO listeners VALUES ('oldone23', 'amqp', '["repo.#"]', 'pulp', '{"exchange":"pulp"}', '[]', 0,
            '2025-01-02T03:04:05.000000Z', '2025-01-02T03:04:05.000000Z');
        PRAGMA application_id = 1313821766;
        PRAGMA user_version = 1;
    )sql");
    ListenerStore store(path);
    const auto l = store.get("oldone23");
    CHECK(l.kind == "amqp");
    CHECK(l.format == "pulp");
    CHECK(l.event_types.front().text() == "repo.#");
    CHECK(store.revision() == 3);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox", -1, &stmt, nullptr) == SQLITE_OK);
    CHECK(sqlite3_step(stmt) == SQLITE_ROW);
    sqlite3_finalize(stmt);
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(sqlite3_column_int(stmt, 0) == 5);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

TEST_CASE("modify applies concurrent changes one after the other, and a failed change leaves the listener as it was",
          "[store]") {
    TempDir dir;
    const auto path = dir / "notify.db";
    Listener l = amqp_listener();
    l.settings["count"] = 0;
    const std::string id = ListenerStore(path).create(l).id;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            ListenerStore store(path);  // a connection of its own, as another process has
            for (int i = 0; i < 25; ++i) {
                store.modify(id, [](Listener& x) { x.settings["count"] = x.settings["count"].get<int>() + 1; });
            }
        });
    }
    for (auto& t : threads) t.join();
    ListenerStore store(path);
    CHECK(store.get(id).settings["count"] == 100);

    const auto before = store.get(id);
    CHECK_THROWS_AS(store.modify(id, [](Listener& x) {
        x.settings["count"] = -1;
        throw notify::ValidationError("refused");
    }), notify::ValidationError);
    CHECK_THROWS_AS(store.modify(id, [](Listener& x) { x.event_types.clear(); }), notify::ValidationError);
    CHECK(notify::core::to_json(store.get(id)) == notify::core::to_json(before));
    CHECK_THROWS_AS(store.modify("zzzzzzzz", [](Listener&) {}), notify::NotFound);
    // The id, kind and creation time stay whatever the change does.
    const auto changed = store.modify(id, [](Listener& x) {
        x.id = "other";
        x.kind = "http";
    });
    CHECK(changed.id == id);
    CHECK(changed.kind == "amqp");
    CHECK(changed.created == before.created);
}

namespace {

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// Runs `body` with the process umask set to `mask`.
template <typename Body>
void with_umask(mode_t mask, Body body) {
    const mode_t old = ::umask(mask);
    try {
        body();
    } catch (...) {
        ::umask(old);
        throw;
    }
    ::umask(old);
}

}  // namespace

TEST_CASE("a new store is private whatever the umask: folder 0700, files 0600", "[store][permissions]") {
    TempDir dir;
    const auto path = dir / "deep" / "er" / "notify.db";
    with_umask(0, [&] {
        ListenerStore store(path);
        store.create(http_listener_with_secret());  // writes the -wal and -shm files too
        CHECK(mode_of(dir / "deep") == 0700);
        CHECK(mode_of(dir / "deep" / "er") == 0700);
        for (const char* suffix : {"", "-wal", "-shm"}) {
            INFO(suffix);
            CHECK(mode_of(path.string() + suffix) == 0600);
        }
    });
}

TEST_CASE("a store others can write is refused untouched, one they can read is used with a warning",
          "[store][permissions]") {
    TempDir dir;
    const auto path = dir / "store" / "notify.db";
    { ListenerStore(path).create(amqp_listener()); }
    const std::string bytes = file_bytes(path);
    std::vector<std::string> warnings;
    const LogFunction log = [&](LogLevel level, std::string_view message) {
        if (level == LogLevel::warning) warnings.emplace_back(message);
    };
    SECTION("the folder writable by the group") {
        std::filesystem::permissions(dir / "store", std::filesystem::perms(0770));
        CHECK_THROWS_WITH(ListenerStore(path, log), Contains("other users can write to the store folder (mode 0770)") &&
                                                        Contains("chmod 700"));
    }
    SECTION("the folder writable by everyone, even with the sticky bit") {
        std::filesystem::permissions(dir / "store", std::filesystem::perms(01777));
        CHECK_THROWS_AS(ListenerStore(path, log), notify::StoreUnusable);
    }
    SECTION("the file writable by others") {
        std::filesystem::permissions(path, std::filesystem::perms(0666));
        CHECK_THROWS_WITH(ListenerStore(path, log), Contains(path.string() + ": other users can write to the store (mode 0666)"));
    }
    SECTION("the file readable by others: a warning, once per file") {
        std::filesystem::permissions(path, std::filesystem::perms(0644));
        CHECK(ListenerStore(path, log).list().size() == 1);
        CHECK(ListenerStore(path, log).list().size() == 1);
        REQUIRE(warnings.size() == 1);
        CHECK_THAT(warnings[0], Contains("other users can read the store, which holds listener secrets (mode 0644)") &&
                                    Contains("chmod 600"));
    }
    CHECK(file_bytes(path) == bytes);
}

TEST_CASE("a store URL no engine serves is refused by name, its password masked", "[store]") {
    StoreLocation location;
    location.url = "postgresql://notify:hunter2@db.example/app";
    // core_tests enable no engine: PostgreSQL is notify::store_postgresql's.
    try {
        ListenerStore store(location);
        FAIL("opened a store no engine serves");
    } catch (const notify::ValidationError& e) {
        CHECK(std::string(e.what()) ==
              "store URL postgresql://notify:***@db.example/app: no store engine for postgresql:// in this program "
              "(it has only SQLite files)");
    }
    location.url = "db.example/app";
    CHECK_THROWS_WITH(ListenerStore(location), Contains("expected scheme://..."));
    CHECK(mask_store_url("postgresql://u:p@ss@h/db?password=x&sslmode=require") ==
          "postgresql://u:***@h/db?password=***&sslmode=require");
    CHECK(mask_store_url("host=h password = 'a b' dbname=x") == "host=h password = *** dbname=x");
}
