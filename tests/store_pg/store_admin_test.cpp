// notify store check and notify store migrate, through the CLI in-process: an SQLite store
// moved to a schema of the test PostgreSQL server.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "cli_runner.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/store_admin.hpp"
#include "notify/store/postgresql.hpp"
#include "outbox.hpp"
#include "pg_scratch.hpp"
#include "process_identity.hpp"
#include "raw_sql.hpp"

using namespace notify;
using namespace notify::test;
using Catch::Contains;

namespace {

core::Micros wall_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// PGPASSWORD for the destination while it lives, as an admin's shell would have it.
struct PgPassword {
    PgPassword() { ::setenv("PGPASSWORD", PostgresServer::get().password.c_str(), 1); }
    ~PgPassword() { ::unsetenv("PGPASSWORD"); }
};

// A source store with two listeners and three events fired to both; of listener one's three
// deliveries, one was delivered and one became a dead letter.
struct Source {
    CliRunner cli;
    std::string one, two;

    Source() {
        one = created(cli.run({"--json", "listener", "http", "create", "--event-type", "repo.#", "--url", "http://127.0.0.1:9/a"}));
        two = created(cli.run({"--json", "listener", "http", "create", "--event-type", "repo.sync.*", "--url", "http://127.0.0.1:9/b",
                               "--filter", R"(.type | startswith("repo."))", "--transform", "{repo: .data.repo_id}",
                               "--rate", "5/s"}));
        for (const char* repo : {"zoo", "ark", "lab"}) {
            REQUIRE(cli.run({"event", "fire", "repo.sync.start", "--data", std::string(R"({"repo_id":")") + repo + "\"}"}).code == 0);
        }
        // A delivering process took two of listener one's, delivered one, gave up on the other.
        auto outbox = core::Outbox::open_file(cli.store, false, [](core::LogLevel, std::string_view) {});
        const auto self = core::ProcessIdentity::self();
        const auto id = outbox->register_process(self, wall_now());
        const auto rows = outbox->claim(one, wall_now(), 2, id);
        REQUIRE(rows.size() == 2);
        outbox->complete({{rows[0].seq, core::Completion::Kind::delivered, 1, 0, ""},
                          {rows[1].seq, core::Completion::Kind::dead, 1, 0, "HTTP 410"}},
                         id, {{one, {1, 0}}});
        outbox->release(id);
    }

    static std::string created(const CliResult& r) {
        REQUIRE(r.code == 0);
        return nlohmann::json::parse(r.out).at("id").get<std::string>();
    }


};

std::map<std::string, core::OutboxCounts> counts_of(const core::StoreLocation& location) {
    store::postgresql::enable();
    auto o = core::NotifierOptions();
    o.store = location;
    o.dispatch = false;
    std::map<std::string, core::OutboxCounts> out;
    for (const auto& s : core::Notifier(o).stats()) {
        auto& c = out[s.listener_id];
        c.parked = s.pending;
        c.owned = s.in_flight;
        c.dead = s.dead;
        c.delivered = s.delivered;
    }
    return out;
}

}  // namespace

TEST_CASE("store migrate copies listeners, deliveries and counters to PostgreSQL, and runs again without copying twice",
          "[postgresql][store-admin]") {
    Source source;
    ScratchSchema schema;
    const PgPassword password;
    const auto before = counts_of(core::StoreLocation(source.cli.store));
    const std::vector<std::string> migrate{"store", "migrate", "--to", PostgresServer::get().url, "--schema", schema.name};

    const auto first = source.cli.run(migrate);
    INFO(first.out << first.err);
    REQUIRE(first.code == 0);
    CHECK_THAT(first.out, Contains("listeners: 2 new, 0 updated, 0 already there"));
    CHECK_THAT(first.out, Contains("deliveries: 4 pending and 1 dead letter copied (parked) in 1 transaction\n"));
    CHECK_THAT(first.out, Contains("counters: delivered and retried of 1 listener carried over"));
    CHECK(first.err.empty());

    const auto to = schema.location();
    const auto moved = core::ListenerStore(to).list();
    const auto kept = core::ListenerStore(std::filesystem::path(source.cli.store)).list();
    REQUIRE(moved.size() == 2);
    for (std::size_t i = 0; i < moved.size(); ++i) {
        CHECK(moved[i].id == kept[i].id);
        CHECK(moved[i].settings == kept[i].settings);
        CHECK(moved[i].created == kept[i].created);
        CHECK(moved[i].filter == kept[i].filter);
        CHECK(moved[i].transform == kept[i].transform);
        CHECK(moved[i].rate == kept[i].rate);
    }
    CHECK(core::ListenerStore(to).get(source.two).transform == "{repo: .data.repo_id}");
    CHECK(core::to_string(core::ListenerStore(to).get(source.two).rate) == "5/s");
    CHECK(core::ListenerStore(to).get(source.two).filter == R"(.type | startswith("repo."))");
    auto after = counts_of(to);
    CHECK(after[source.one].parked == 1);
    CHECK(after[source.one].dead == 1);
    CHECK(after[source.one].delivered == 1);
    CHECK(after[source.two].parked == 3);

    // Again: nothing new to copy, nothing counted twice; the source is as it was.
    const auto second = source.cli.run(migrate);
    REQUIRE(second.code == 0);
    CHECK_THAT(second.out, Contains("listeners: 0 new, 0 updated, 2 already there"));
    CHECK_THAT(second.out, Contains("deliveries: 0 pending and 0 dead letters copied (parked) in 0 transactions; those up "
                                    "to source seq 6 were copied by an earlier run"));
    after = counts_of(to);
    CHECK(after[source.one].parked == 1);
    CHECK(after[source.one].delivered == 1);
    CHECK(after[source.two].parked == 3);
    const auto source_now = counts_of(core::StoreLocation(source.cli.store));
    CHECK(source_now.at(source.one).parked == before.at(source.one).parked);
    CHECK(source_now.at(source.two).parked == before.at(source.two).parked);

    // What the source got since is copied by the next run, and only that.
    REQUIRE(source.cli.run({"event", "fire", "repo.sync.start", "--data", R"({"repo_id":"new"})"}).code == 0);
    REQUIRE(source.cli.run({"listener", "http", "update", "--listener-id", source.two, "--url", "http://127.0.0.1:9/c"}).code == 0);
    const auto third = source.cli.run(migrate);
    REQUIRE(third.code == 0);
    CHECK_THAT(third.out, Contains("listeners: 0 new, 1 updated, 1 already there"));
    CHECK_THAT(third.out, Contains("deliveries: 2 pending and 0 dead letters copied"));
    CHECK(core::ListenerStore(to).get(source.two).settings.at("url") == "http://127.0.0.1:9/c");
    CHECK(counts_of(to)[source.two].parked == 4);
}

TEST_CASE("store migrate refuses while a process delivers from the source, unless forced", "[postgresql][store-admin]") {
    Source source;
    ScratchSchema schema;
    const PgPassword password;
    auto outbox = core::Outbox::open_file(source.cli.store, false, [](core::LogLevel, std::string_view) {});
    outbox->register_process(core::ProcessIdentity::self(), wall_now());
    const std::vector<std::string> migrate{"store", "migrate", "--to", PostgresServer::get().url, "--schema", schema.name};
    const auto refused = source.cli.run(migrate);
    CHECK(refused.code == 2);
    CHECK_THAT(refused.err, Contains("a notify process still delivers from " + source.cli.store));
    CHECK_THAT(refused.err, Contains("--force"));
    // Nothing was created at the destination.
    CHECK(core::check_store(schema.location()).exists == false);

    const auto bad_scheme = source.cli.run({"store", "migrate", "--to", "mysql://db.example/app"});
    CHECK(bad_scheme.code == 2);
    CHECK_THAT(bad_scheme.err, Contains("--to: store URL mysql://db.example/app: no store engine for mysql://"));
    const auto bad_schema = source.cli.run({"store", "migrate", "--to", PostgresServer::get().url, "--schema", "Fleet-A"});
    CHECK(bad_schema.code == 2);
    CHECK_THAT(bad_schema.err, Contains("--schema: store schema \"Fleet-A\""));
    const auto itself = source.cli.run({"store", "migrate", "--to", (source.cli.dir / "." / "notify.db").string()});
    CHECK(itself.code == 2);
    CHECK_THAT(itself.err, Contains("the source and the destination are the same store"));

    const auto forced = source.cli.run({"store", "migrate", "--to", PostgresServer::get().url, "--schema", schema.name, "--force"});
    CHECK(forced.code == 0);
    CHECK_THAT(forced.out, Contains("warning: process"));
    CHECK(core::check_store(schema.location()).listeners == 2);
}

TEST_CASE("store check tells what a store holds and whether this notify can use it, changing nothing",
          "[postgresql][store-admin]") {
    Source source;
    const auto bytes = [](const std::string& file) {
        std::ifstream in(file, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const auto before = bytes(source.cli.store);
    const auto ok = source.cli.run({"store", "check"});
    CHECK(bytes(source.cli.store) == before);
    INFO(ok.out << ok.err);
    CHECK(ok.code == 0);
    CHECK_THAT(ok.out, Contains("store:       " + source.cli.store + " (sqlite)"));
    CHECK_THAT(ok.out, Contains("file mode:   0600"));
    CHECK_THAT(ok.out, Contains("integrity:   ok"));
    CHECK_THAT(ok.out, Contains("schema:      5 (current)"));
    CHECK_THAT(ok.out, Contains("listeners:   2"));
    CHECK_THAT(ok.out, Contains("deliveries:  4 pending, 0 in flight, 1 dead"));
    CHECK_THAT(ok.out, Contains("processes:   0"));
    const auto json = nlohmann::json::parse(source.cli.run({"--json", "store", "check"}).out);
    CHECK(json.at("schema_version") == 5);
    CHECK(json.at("pending") == 4);
    CHECK(json.at("problems").empty());

    // A newer notify's store: reported, left as it is.
    raw_sql(source.cli.store, "PRAGMA user_version = 99");
    const auto newer = source.cli.run({"store", "check"});
    CHECK(newer.code == 1);
    CHECK_THAT(newer.out, Contains("problem:     written by a newer notify (store schema 99"));
    CHECK(source.cli.run({"--json", "store", "check"}).code == 1);

    // No store yet: reported, not created.
    CliRunner fresh;
    const auto missing = fresh.run({"store", "check"});
    CHECK(missing.code == 1);
    CHECK_THAT(missing.out, Contains("no store file"));
    CHECK_FALSE(std::filesystem::exists(fresh.store));

    // PostgreSQL: the server, TLS, and a schema not created by looking.
    ScratchSchema schema;
    const auto& server = PostgresServer::get();
    fresh.write_raw("");
    write_private(fresh.conf, "[store]\nurl = " + server.url + "\nschema = " + schema.name + "\npassword = " + server.password + "\n");
    const auto none = fresh.run({"store", "check"});
    CHECK(none.code == 1);
    CHECK_THAT(none.out, Contains("server:      PostgreSQL 15"));
    CHECK_THAT(none.out, Contains("TLS:         no"));
    CHECK_THAT(none.out, Contains("no notify tables in schema " + schema.name));
    CHECK(connect().exec("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {schema.name}).integer(0, 0) == 0);
    CHECK(fresh.run({"listener", "list"}).code == 0);  // the first use creates them
    const auto created = fresh.run({"store", "check"});
    CHECK(created.code == 0);
    CHECK_THAT(created.out, Contains("schema:      5 (current)"));
    CHECK(created.out.find(server.password) == std::string::npos);

    write_private(fresh.conf, "[store]\nurl = " + server.url + "\nschema = " + schema.name + "\npassword = wrong-one\n");
    const auto refused = fresh.run({"store", "check"});
    CHECK(refused.code == 1);
    CHECK_THAT(refused.out, Contains("password authentication failed"));
    CHECK(refused.out.find("wrong-one") == std::string::npos);
}

TEST_CASE("store migrate knows a PostgreSQL store under another name for the same store", "[postgresql][store-admin]") {
    ScratchSchema schema;
    const auto from = schema.location();
    core::Listener l;
    l.kind = "http";
    l.event_types.emplace_back("repo.#");
    l.settings = {{"url", "http://127.0.0.1:9/a"}};
    core::ListenerStore(from).create(l);
    auto to = from;
    to.url = PostgresServer::get().url_for("localhost");  // the same server, database and schema
    REQUIRE(to.describe() != from.describe());
    std::vector<std::string> steps;
    CHECK_THROWS_WITH(core::migrate_store(from, to, false, [&](const std::string& s) { steps.push_back(s); }),
                      Contains("the source and the destination are the same store"));
    CHECK(steps.empty());
    CHECK(core::check_store(from).listeners == 1);
}
