// notify event fire --from FILE|-: many events as JSON lines, checked first, stored in batches.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "notify/core/notifier.hpp"

using namespace notify;
using namespace notify::test;
using Catch::Contains;

namespace {

std::string create_listener(const CliRunner& cli, const std::string& pattern) {
    const auto r = cli.run({"--json", "listener", "http", "create", "--event-type", pattern, "--url",
                            "https://hooks.example.com/n"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    return nlohmann::json::parse(r.out).at("id");
}

std::vector<core::DeliveryRecord> pending(const CliRunner& cli) {
    core::NotifierOptions options;
    options.store.path = cli.store;
    options.dispatch = false;
    core::Notifier reader(options);
    return reader.pending(100000);
}

}  // namespace

TEST_CASE("event fire --from stores every event of a JSON lines file for the listeners it matches", "[cli][batch]") {
    CliRunner cli;
    const auto repo = create_listener(cli, "repo.#");
    const auto org = create_listener(cli, "employee.#");
    const auto path = cli.dir / "events.jsonl";
    std::ofstream(path) << "# a backfill\n"
                           "{\"type\": \"repo.sync.finish\", \"data\": {\"repo_id\": \"zoo\"}, \"source\": \"pulp\"}\n"
                           "\n"
                           "{\"type\": \"employee.it.create\", \"data\": {\"uuid\": \"u1\", \"time\": \"2026-12-01T10:00:00Z\"}}\n"
                           "{\"type\": \"repo.publish.finish\", \"id\": \"4b1d3f2e-8c2a-4a8e-9f00-000000000001\"}\n"
                           "{\"type\": \"invoice.paid\"}\n";
    const auto r = cli.run({"event", "fire", "--from", path.string()});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "Fired 4 events from " + path.string() +
                       ": 3 deliveries stored in 1 commit; `notify serve` (or a host) delivers them.\n");
    const auto rows = pending(cli);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].listener_id == repo);
    CHECK(rows[0].event.at("type") == "repo.sync.finish");
    CHECK(rows[0].event.at("source") == "pulp");
    CHECK(rows[0].event.at("data").at("repo_id") == "zoo");
    CHECK(rows[1].listener_id == org);
    CHECK(rows[1].event.at("source") == "notify-cli");  // the default, as for a single fire
    CHECK(rows[2].event.at("id") == "4b1d3f2e-8c2a-4a8e-9f00-000000000001");  // ids are kept: replays dedupe

    // From standard input, with --json.
    StdinText in("{\"type\": \"repo.sync.start\"}\n{\"type\": \"repo.sync.start\"}\n");
    const auto json = cli.run({"--json", "event", "fire", "--from", "-"});
    REQUIRE(json.code == 0);
    CHECK(nlohmann::json::parse(json.out) == nlohmann::json{{"events", 2}, {"deliveries", 2}, {"commits", 1}});
    CHECK(pending(cli).size() == 5);
}

TEST_CASE("event fire --from checks every line first: a bad one names FILE:LINE and nothing is stored", "[cli][batch]") {
    CliRunner cli;
    create_listener(cli, "#");
    const auto path = cli.dir / "events.jsonl";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"{\"type\": \"repo.sync.finish\"}\n{\"type\": \"repo..finish\"}\n", ":2: "},
        {"{\"type\": \"repo.sync.finish\"}\n\n{\"type\": \"a.b\"\n", ":3: not JSON"},
        {"[1, 2]\n", ":1: expected an event, a JSON object with \"type\""},
        {"{\"data\": {}}\n", ":1: invalid event JSON: missing \"type\""},
        {"{\"type\": \"a.b\", \"dta\": {}}\n", ":1: unknown key 'dta'; did you mean \"data\"?"},
        {"{\"type\": \"a.b\", \"time\": \"yesterday\"}\n", ":1: "},
    };
    for (const auto& [text, expected] : cases) {
        std::ofstream(path) << text;
        const auto r = cli.run({"event", "fire", "--from", path.string()});
        INFO(text);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Contains("notify: " + path.string() + expected));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK(pending(cli).empty());

    const auto missing = cli.run({"event", "fire", "--from", (cli.dir / "nope.jsonl").string()});
    CHECK(missing.code == 2);
    CHECK_THAT(missing.err, Contains("--from") && Contains("cannot open the file"));
    const auto both = cli.run({"event", "fire", "repo.sync.finish", "--from", path.string()});
    CHECK(both.code == 2);
    CHECK_THAT(both.err, Contains("--from"));
    const auto neither = cli.run({"event", "fire"});
    CHECK(neither.code == 2);
    CHECK_THAT(neither.err, Contains("give the event type, or --from FILE"));
    CHECK(pending(cli).empty());
}
