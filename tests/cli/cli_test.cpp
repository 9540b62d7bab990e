// The notify CLI run in-process: parsing, exit codes, one-line errors, --json shapes, and
// that a failed command changes nothing stored. No broker needed: exchanges are not
// auto-created and nothing is delivered.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli_runner.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/notifier.hpp"

using namespace notify;
using namespace notify::test;

namespace {

struct Cli : CliRunner {
    nlohmann::json json(std::vector<std::string> args) const {
        args.insert(args.begin(), "--json");
        const auto r = run(args);
        INFO(r.err);
        REQUIRE(r.code == 0);
        return nlohmann::json::parse(r.out);  // exactly one document
    }

    std::string stored() const {
        const auto r = run({"--json", "listener", "list"});
        REQUIRE(r.code == 0);
        return r.out;
    }
};

std::size_t lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("version and help on every level", "[cli]") {
    Cli cli;
    const auto version = cli.run({"--version"});
    CHECK(version.code == 0);
    CHECK(version.out.rfind("notify ", 0) == 0);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--help"}, {"listener", "--help"}, {"listener", "amqp", "--help"}, {"listener", "http", "create", "--help"},
             {"event", "fire", "--help"}, {"delivery", "retry", "--help"}, {"listen", "amqp", "--help"}, {"serve", "--help"}}) {
        const auto r = cli.run(args);
        INFO(args.front() << " ... " << args.back());
        CHECK(r.code == 0);
        CHECK(r.out.find("Usage") != std::string::npos);
        CHECK(r.err.empty());
    }
    CHECK(cli.run({"listener", "email", "create", "--help"}).out.find("--subject") != std::string::npos);
}

TEST_CASE("create, list, update, delete: the round trip with --json", "[cli]") {
    Cli cli;
    const auto amqp = cli.json({"listener", "amqp", "create", "--event-type", "repo.sync.finish", "--event-type",
                                "repo.publish.finish", "--exchange", "pulp"});
    CHECK(amqp["kind"] == "amqp");
    CHECK(amqp["event_types"] == nlohmann::json({"repo.sync.finish", "repo.publish.finish"}));
    CHECK(amqp["format"] == "cloudevents");
    CHECK(amqp["settings"] == nlohmann::json({{"exchange", "pulp"}}));
    const std::string id = amqp["id"];
    CHECK(id.size() == 8);

    const auto email = cli.json({"listener", "email", "create", "--event-type", "employee.#", "--subject",
                                 "{type} {data.uuid}", "--addresses", "ops@example.com,dev@example.com", "--format", "data"});
    CHECK(email["settings"]["addresses"] == nlohmann::json({"ops@example.com", "dev@example.com"}));
    CHECK(email["format"] == "data");

    const auto http = cli.json({"listener", "http", "create", "--event-type", "*", "--url", "https://hooks.example.com/n",
                                "--username", "u", "--password", "pw-123", "--secret", "sec-456", "--header", "X-Key: k-789"});
    const std::string shown = http.dump();
    for (const char* secret : {"pw-123", "sec-456", "k-789"}) CHECK(shown.find(secret) == std::string::npos);
    CHECK(http["settings"]["password"] == "********");

    const auto list = cli.json({"listener", "list"});
    REQUIRE(list.size() == 3);
    CHECK(list[0]["id"] == id);
    CHECK(list.dump().find("pw-123") == std::string::npos);

    const auto human = cli.run({"listener", "list"});
    CHECK(human.code == 0);
    CHECK(lines(human.out) == 4);
    CHECK(human.out.find(id) != std::string::npos);
    CHECK(human.out.find("pw-123") == std::string::npos);

    const auto updated = cli.json({"listener", "amqp", "update", "--listener-id", id, "--format", "pulp",
                                   "--delay-until-effective"});
    CHECK(updated["id"] == id);
    CHECK(updated["format"] == "pulp");
    CHECK(updated["delay_until_effective"] == true);
    CHECK(updated["event_types"] == amqp["event_types"]);  // unchanged when not given
    CHECK(updated["settings"] == nlohmann::json({{"exchange", "pulp"}}));

    // A stored secret survives an update that does not name it.
    cli.json({"listener", "http", "update", "--listener-id", http["id"], "--url", "https://hooks.example.com/v2"});
    const auto stored = core::ListenerStore(cli.dir / "notify.db").get(http["id"].get<std::string>());
    CHECK(stored.settings["password"] == "pw-123");
    CHECK(stored.settings["url"] == "https://hooks.example.com/v2");

    CHECK(cli.json({"listener", "delete", "--listener-id", id}) == nlohmann::json({{"deleted", id}}));
    CHECK(cli.json({"listener", "list"}).size() == 2);
}

TEST_CASE("a filter on a listener of any kind is stored, shown, changed and removed", "[cli][filter]") {
    Cli cli;
    const std::string program = R"(.data.repo_id == "zoo" and .data.result != "success")";
    const auto created = cli.json({"listener", "email", "create", "--event-type", "repo.sync.finish", "--subject", "x",
                                   "--addresses", "ops@example.com", "--filter", program});
    CHECK(created["filter"] == program);
    const std::string id = created["id"];
    CHECK(core::ListenerStore(cli.dir / "notify.db").get(id).filter == program);
    const auto show = cli.run({"listener", "show", "--listener-id", id});
    CHECK(show.code == 0);
    CHECK_THAT(show.out, Catch::Matchers::Contains("filter:                " + program));
    CHECK_THAT(cli.run({"listener", "list"}).out, Catch::Matchers::Contains("filter=" + program));

    const auto changed = cli.json({"listener", "email", "update", "--listener-id", id, "--filter", ".source | startswith(\"pulp\")"});
    CHECK(changed["filter"] == ".source | startswith(\"pulp\")");
    const auto removed = cli.json({"listener", "email", "update", "--listener-id", id, "--no-filter"});
    CHECK(removed["filter"].is_null());
    CHECK(core::ListenerStore(cli.dir / "notify.db").get(id).filter.empty());
    for (const char* kind : {"amqp", "http"}) {
        std::vector<std::string> args{"listener", kind, "create", "--event-type", "repo.#", "--filter", "(.data.units_added // 0) > 0"};
        if (std::string(kind) == "http") args.insert(args.end(), {"--url", "https://hooks.example.com/n"});
        const auto r = cli.run(args);
        INFO(r.err);
        CHECK(r.code == 0);
    }
}

TEST_CASE("transform, rate, digest and mail limit are stored, shown, changed and removed", "[cli][digest]") {
    Cli cli;
    const auto created = cli.json({"listener", "email", "create", "--event-type", "repo.sync.finish", "--subject", "x",
                                   "--addresses", "ops@example.com", "--transform", "{repo: .data.repo_id}", "--rate",
                                   "30/min", "--digest", "10m", "--max-mails-per-hour", "12"});
    CHECK(created["transform"] == "{repo: .data.repo_id}");
    CHECK(created["rate"] == "30/min");
    CHECK(created["digest_ms"] == 600000);
    CHECK(created["max_mails_per_hour"] == 12);
    const std::string id = created["id"];
    const auto stored = core::ListenerStore(cli.dir / "notify.db").get(id);
    CHECK(stored.transform == "{repo: .data.repo_id}");
    CHECK(stored.digest == std::chrono::minutes(10));
    const auto show = cli.run({"listener", "show", "--listener-id", id});
    CHECK(show.code == 0);
    CHECK_THAT(show.out, Catch::Matchers::Contains("transform:             {repo: .data.repo_id}\n") &&
                             Catch::Matchers::Contains("rate:                  30/min\n") &&
                             Catch::Matchers::Contains("digest:                10m\n") &&
                             Catch::Matchers::Contains("max mails per hour:    12\n"));
    CHECK_THAT(cli.run({"listener", "list"}).out,
               Catch::Matchers::Contains("transform={repo: .data.repo_id}  rate=30/min  digest=10m  max-mails-per-hour=12"));

    const auto changed = cli.json({"listener", "email", "update", "--listener-id", id, "--digest", "1h", "--rate", "2/s"});
    CHECK(changed["digest_ms"] == 3600000);
    CHECK(changed["rate"] == "2/s");
    CHECK(changed["transform"] == "{repo: .data.repo_id}");
    const auto removed = cli.json({"listener", "email", "update", "--listener-id", id, "--no-transform", "--no-rate",
                                   "--no-digest", "--max-mails-per-hour", "0"});
    CHECK(removed["transform"].is_null());
    CHECK(removed["rate"].is_null());
    CHECK(removed["digest_ms"] == 0);
    CHECK(removed["max_mails_per_hour"] == 0);
    const auto after = core::ListenerStore(cli.dir / "notify.db").get(id);
    CHECK(after.transform.empty());
    CHECK_FALSE(after.rate.limited());
    CHECK(after.digest.count() == 0);
    // Transforms and rates on every kind; digests only where the handler sends them.
    const auto amqp = cli.json({"listener", "amqp", "create", "--event-type", "repo.#", "--transform", ".data", "--rate", "100/s"});
    CHECK(amqp["rate"] == "100/s");
    CHECK_THAT(cli.run({"listener", "amqp", "create", "--help"}).out, !Catch::Matchers::Contains("--digest"));
}

TEST_CASE("every validation error: exit 2, one line naming the culprit, nothing stored", "[cli][validation]") {
    Cli cli;
    const auto existing = cli.json({"listener", "amqp", "create", "--event-type", "repo.#"});
    const std::string id = existing["id"];
    const std::string before = cli.stored();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"listener", "amqp", "create"}, "--event-type is required"},
        {{"listener", "amqp", "create", "--event-type", "repo..x"}, "--event-type"},
        {{"listener", "amqp", "create", "--event-type", "a b"}, "--event-type"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--format", "xml"}, "--format 'xml'"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "a/b"}, "invalid exchange 'a/b'"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", std::string(256, 'x')}, "invalid exchange"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--delay-until-effective", "--no-delay-until-effective"},
         "exclude each other"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--bogus"}, "--bogus"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--filter", ".data.repo_id =="},
         "--filter: the filter does not compile: jq: error: syntax error"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "https://x.example/", "--filter", "nope(1)"},
         "nope/1 is not defined at <top-level>, line 1"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--filter", ""}, "--filter must not be empty"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--transform", "{repo: }"},
         "--transform: the transform does not compile: jq: error: syntax error"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--transform", ""}, "--transform must not be empty"},
        {{"listener", "amqp", "update", "--listener-id", id, "--transform", ".", "--no-transform"}, "exclude each other"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--rate", "10"}, "--rate: invalid rate '10'"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--rate", "0/s"}, "--rate: invalid rate '0/s'"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--rate", "5/h"}, "expected N/s or N/min"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--rate", "100001/s"}, "N from 1 to 100000"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--digest", "10m"}, "--digest"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--max-mails-per-hour", "5"}, "--max-mails-per-hour"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses", "a@b.c", "--digest",
          "500ms"},
         "--digest '500ms': expected a duration from 1s to 24h"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses", "a@b.c", "--digest",
          "soon"},
         "--digest 'soon'"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses", "a@b.c",
          "--max-mails-per-hour", "-1"},
         "--max-mails-per-hour '-1': expected a whole number from 0 (no limit) to 100000"},
        {{"listener", "amqp", "update", "--listener-id", id, "--filter", "true", "--no-filter"}, "exclude each other"},
        {{"listener", "amqp", "update", "--listener-id", id, "--filter", ".a |||"}, "--filter:"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x"}, "--addresses is required"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "{tpye}", "--addresses", "a@b.c"},
         "did you mean {type}"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses", "a@b.c\r\nBcc: e@f.g"},
         "control character"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "gopher://x"}, "http:// or https://"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "https://u:hunter2@x.example/"}, "credentials"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "https://x.example/", "--header", "NoColon"},
         "--header 'NoColon'"},
        {{"listener", "email", "update", "--listener-id", id, "--subject", "x"},
         "is of kind 'amqp'; use: notify listener amqp update --listener-id " + id},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "amq.direct"}, "is not a topic exchange"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "amq.fanout"}, "is not a topic exchange"},
        {{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "amq.mine"}, "reserved by the broker"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "http://hooks.example.com/",
          "--header", "Authorization: Bearer hunter2"},
         "header 'Authorization' would travel in clear text"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "http://127.evil.example/", "--password",
          "hunter2", "--username", "u"},
         "a password would travel in clear text"},
        {{"listener", "amqp", "update", "--listener-id", "zzzzzzzz"}, "zzzzzzzz"},
        {{"listener", "delete", "--listener-id", "zzzzzzzz"}, "zzzzzzzz"},
        {{"listener"}, "subcommand is required"},
        {{"event", "fire", "repo.sync.finish", "--data", "{not json"}, "--data is not JSON"},
        {{"event", "fire", "repo.sync.finish", "--data", "[1]"}, "--data must be a JSON object"},
        {{"event", "fire", "repo.sync.finish", "--effective", "tomorrow"}, "--effective"},
        {{"event", "fire", "repo.#"}, "invalid event type 'repo.#'"},
        {{"event", "fire", "repo.sync.finish", "--wait", "-1"}, "--wait"},
        {{"event", "fire", "repo.sync.finish", "--data", R"({"n": 1e400})"}, "--data holds a number too large"},
        {{"event", "fire", "repo.sync.finish", "--wait", "inf"}, "--wait must be a number of seconds from 0 to 86400"},
        {{"event", "fire", "repo.sync.finish", "--wait", "nan"}, "--wait must be a number of seconds from 0 to 86400"},
        {{"event", "fire", "repo.sync.finish", "--wait", "1e300"}, "--wait must be a number of seconds from 0 to 86400"},
        {{"delivery", "list", "--limit", "-3"}, "--limit"},
        {{"delivery", "list", "--state", "gone"}, "--state"},
        {{"delivery", "retry"}, "needs a delivery id or --all-dead"},
        {{"delivery", "retry", "no-such-id"}, "no dead letter with delivery id 'no-such-id'"},
        {{"delivery", "purge"}, "--dead is required"},
        {{"listen", "amqp", "--count", "-1"}, "--count"},
    };
    for (const auto& [args, expected] : cases) {
        const auto r = cli.run(args);
        INFO(args.back() << " -> " << r.err);
        CHECK(r.code == 2);
        CHECK(lines(r.err) == 1);
        CHECK(r.err.rfind("notify: ", 0) == 0);
        CHECK(r.err.find(expected) != std::string::npos);
        CHECK(r.err.find("hunter2") == std::string::npos);
        CHECK(r.out.empty());
    }
    CHECK(cli.stored() == before);
    CHECK(cli.json({"delivery", "list"}).empty());
}

TEST_CASE("a bad server.conf or a disabled handler: exit 2 naming the file and line or the setting", "[cli][validation]") {
    Cli cli;
    write_private(cli.conf, "[delivery]\nworkers = many\n", true);
    const auto r = cli.run({"listener", "list"});
    CHECK(r.code == 2);
    CHECK(r.err.find(cli.conf + ":9: [delivery] workers = 'many'") != std::string::npos);

    Cli disabled;
    write_private(disabled.conf, "[store]\npath = " + (disabled.dir / "notify.db").string() + "\n");
    const auto email = disabled.run({"listener", "email", "create", "--event-type", "repo.#", "--subject", "x",
                                     "--addresses", "a@b.c"});
    CHECK(email.code == 2);
    CHECK(email.err.find("set enabled = true in the [email] section") != std::string::npos);
}

TEST_CASE("event types, and fire without --wait stores one delivery per matching listener", "[cli][event]") {
    Cli cli;
    const auto types = cli.json({"event", "types"});
    CHECK(types.size() == 64);
    CHECK(std::any_of(types.begin(), types.end(), [](const auto& t) { return t["type"] == "repo.sync.finish"; }));

    const auto warned = cli.run({"listener", "amqp", "create", "--event-type", "host.custom.thing"});
    CHECK(warned.code == 0);
    CHECK(warned.err.find("matches no known event type") != std::string::npos);
    const std::string listener = cli.json({"listener", "amqp", "create", "--event-type", "repo.*.finish"})["id"];

    const auto fired = cli.json({"event", "fire", "repo.sync.finish", "--data", R"({"repo_id": "zoo"})"});
    CHECK(fired["event"]["type"] == "repo.sync.finish");
    CHECK(fired["event"]["data"] == nlohmann::json({{"repo_id", "zoo"}}));
    REQUIRE(fired["deliveries"].size() == 1);
    CHECK(fired["deliveries"][0]["listener_id"] == listener);
    CHECK(fired["deliveries"][0]["state"] == "pending");

    const auto pending = cli.json({"delivery", "list", "--state", "pending"});
    REQUIRE(pending.size() == 1);
    CHECK(pending[0]["delivery_id"] == fired["deliveries"][0]["delivery_id"]);
    CHECK(pending[0]["event"]["id"] == fired["event"]["id"]);
    CHECK(cli.json({"delivery", "list", "--state", "dead"}).empty());
    CHECK(cli.json({"delivery", "purge", "--dead"}) == nlohmann::json({{"purged", 0}}));
    CHECK(cli.json({"delivery", "retry", "--all-dead"}) == nlohmann::json({{"retried", 0}}));

    const auto none = cli.run({"event", "fire", "org_unit.it.create"});
    CHECK(none.code == 0);
    CHECK(none.out.find("0 listeners match") != std::string::npos);
}

TEST_CASE("a host's own event types from the events catalogue file are listed, and patterns on them draw no warning", "[cli][event]") {
    Cli cli;
    write_private(cli.dir / "types.txt", "# types the invoicing host fires\ninvoice.paid    An invoice was paid\n\ninvoice.refund.create\n");
    cli.write_raw("[messaging]\nauto_create_exchange = false\n[events]\ncatalogue = types.txt\n");
    const auto types = cli.json({"event", "types"});
    CHECK(types.size() == 66);
    CHECK(std::find(types.begin(), types.end(), nlohmann::json{{"type", "invoice.paid"}, {"description", "An invoice was paid"}}) !=
          types.end());
    CHECK(std::find(types.begin(), types.end(), nlohmann::json{{"type", "invoice.refund.create"}, {"description", ""}}) !=
          types.end());
    const auto quiet = cli.run({"listener", "amqp", "create", "--event-type", "invoice.#"});
    CHECK(quiet.code == 0);
    CHECK(quiet.err.empty());

    // The JSON notify --json event types prints is a catalogue too.
    write_private(cli.dir / "types.json", R"([{"type": "ticket.close", "description": "A ticket was closed"}])");
    cli.write_raw("[events]\ncatalogue = " + (cli.dir / "types.json").string() + "\n");
    CHECK(cli.json({"event", "types"}).size() == 65);

    write_private(cli.dir / "types.txt", "invoice.paid ok\ninvoice..paid two dots\n");
    cli.write_raw("[events]\ncatalogue = types.txt\n");
    const auto bad = cli.run({"event", "types"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find((cli.dir / "types.txt").string() + ":2: invalid event type") != std::string::npos);
}

TEST_CASE("a listener of a kind this notify has no handler for: the hint names what can be done", "[cli][validation]") {
    Cli cli;
    core::Listener file;
    file.kind = "file";
    file.format = "cloudevents";
    file.event_types.emplace_back("repo.#");
    file.settings = {{"path", "/tmp/events.jsonl"}};
    const std::string id = core::ListenerStore(cli.store).create(file).id;
    const std::string before = cli.stored();
    const auto r = cli.run({"listener", "amqp", "update", "--listener-id", id, "--exchange", "x"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("is of kind 'file', and this notify has no file handler") != std::string::npos);
    CHECK(r.err.find("notify listener delete --listener-id " + id) != std::string::npos);
    CHECK(r.err.find("notify listener file update") == std::string::npos);  // no such command
    CHECK(cli.stored() == before);
}

TEST_CASE("event fire without --wait is refused when the outbox is in memory: nothing would deliver it", "[cli][validation]") {
    Cli cli;
    write_private(cli.conf, "[store]\npath = " + cli.store + "\noutbox = memory\n[messaging]\nauto_create_exchange = false\n");
    REQUIRE(cli.run({"listener", "amqp", "create", "--event-type", "repo.#"}).code == 0);
    const auto r = cli.run({"event", "fire", "repo.sync.finish"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("[store] outbox = memory") != std::string::npos);
    CHECK(r.err.find("--wait") != std::string::npos);
    CHECK(r.out.find("Stored in the outbox") == std::string::npos);
}

TEST_CASE("delivery list --limit shows at most N of each state and says how many more there are", "[cli][event]") {
    Cli cli;
    REQUIRE(cli.run({"listener", "amqp", "create", "--event-type", "repo.#"}).code == 0);
    for (int i = 0; i < 5; ++i) REQUIRE(cli.run({"event", "fire", "repo.sync.finish"}).code == 0);
    const auto limited = cli.run({"--json", "delivery", "list", "--limit", "2"});
    CHECK(limited.code == 0);
    CHECK(nlohmann::json::parse(limited.out).size() == 2);
    CHECK(limited.err.find("showing 2 of 5 deliveries; 3 more not shown") != std::string::npos);
    const auto all = cli.run({"--json", "delivery", "list", "--limit", "0"});
    CHECK(nlohmann::json::parse(all.out).size() == 5);
    CHECK(all.err.empty());
    const auto human = cli.run({"delivery", "list", "--limit", "4"});
    CHECK(lines(human.out) == 5);  // header and 4 rows
    CHECK(human.err.find("1 more not shown") != std::string::npos);
}

TEST_CASE("listener list keeps two spaces between columns, however long a value", "[cli]") {
    Cli cli;
    std::vector<std::string> args{"listener", "amqp", "create", "--exchange", "pulp"};
    for (const char* t : {"repo.sync.start", "repo.sync.finish", "repo.publish.start", "repo.publish.finish"}) {
        args.insert(args.end(), {"--event-type", t});
    }
    REQUIRE(cli.run(args).code == 0);
    const auto r = cli.run({"listener", "list"});
    CHECK(r.code == 0);
    CHECK(r.out.find("repo.publish.finish  exchange=pulp") != std::string::npos);
    CHECK(r.out.find("finishexchange") == std::string::npos);
    // The header's columns line up with the rows'.
    const auto header_end = r.out.find('\n');
    const std::string header = r.out.substr(0, header_end);
    const std::string row = r.out.substr(header_end + 1);
    CHECK(header.find("SETTINGS") == row.find("exchange=pulp"));
}

TEST_CASE("a listener without --exchange shows the exchange it follows, which moves with server.conf", "[cli]") {
    Cli cli;
    cli.write_raw("[messaging]\nauto_create_exchange = false\ntopic_exchange = pulp\n");
    const auto id = cli.json({"listener", "amqp", "create", "--event-type", "repo.#"}).at("id").get<std::string>();
    REQUIRE(cli.run({"listener", "amqp", "create", "--event-type", "employee.#", "--exchange", "os2mo"}).code == 0);
    auto r = cli.run({"listener", "list"});
    CHECK(r.code == 0);
    CHECK(r.out.find("repo.#       exchange=pulp (default)  cloudevents_mode=binary (default)\n") != std::string::npos);
    CHECK(r.out.find("exchange=os2mo  cloudevents_mode=binary (default)\n") != std::string::npos);  // its own
    const auto listed = cli.json({"listener", "list"});
    CHECK(listed.at(0).at("settings") == nlohmann::json::object());  // nothing stored for it
    CHECK(listed.at(0).at("defaults") == nlohmann::json{{"exchange", "pulp"}, {"cloudevents_mode", "binary"}});
    CHECK(listed.at(1).at("defaults") == nlohmann::json{{"cloudevents_mode", "binary"}});
    // Changing the default moves the listener that names none.
    cli.write_raw("[messaging]\nauto_create_exchange = false\ntopic_exchange = pulp2\n");
    r = cli.run({"listener", "amqp", "update", "--listener-id", id, "--event-type", "repo.sync.#"});
    CHECK(r.code == 0);
    CHECK(r.out.find("exchange:              pulp2 (default)\n") != std::string::npos);
}

TEST_CASE("check-config runs every handler's own checks", "[cli][validation]") {
    Cli cli;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"[email]\nusername = u\npassword = hunter2\nhost = mail.example.com\ntls = none\n", "in clear text to mail.example.com"},
        {"[email]\npassword = hunter2\n", "password is set but username is empty"},
        {"[messaging]\nurl = amqp://u:hunter2@broker.example.com\n", "in clear text to broker.example.com"},
        {"[messaging]\nurl = amqps://u:hunter2@broker.example.com\nmanagement_url = http://broker.example.com:15672\n",
         "to the management API at http://broker.example.com:15672"},
        {"[messaging]\ntopic_exchange = amq.headers\n", "is not a topic exchange"},
        {"[http]\nca_file = /nonexistent/ca.pem\n", "/nonexistent/ca.pem"},
    };
    for (const auto& [conf, expected] : cases) {
        write_private(cli.conf, "[store]\npath = " + cli.store + "\n" + conf);
        const auto r = cli.run({"check-config"});
        INFO(conf << " -> " << r.err);
        CHECK(r.code == 2);
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find(expected) != std::string::npos);
        CHECK(r.err.find("hunter2") == std::string::npos);
        CHECK(r.out.empty());
    }
    write_private(cli.conf, "[store]\npath = " + cli.store + "\n[messaging]\nurl = amqps://u:pw@[::1]:5671\n");
    const auto ok = cli.run({"check-config"});
    INFO(ok.err);
    CHECK(ok.code == 0);
}


TEST_CASE("secret values from standard input: --header 'Name: -' and --secret -, an empty line refused", "[cli]") {
    Cli cli;
    std::string id;
    {
        StdinText in("k-789\n");
        const auto created = cli.json({"listener", "http", "create", "--event-type", "repo.#", "--url",
                                       "https://hooks.example.com/n", "--header", "X-Api-Key: -"});
        id = created["id"];
        CHECK(created["settings"]["headers"]["X-Api-Key"] == "********");
    }
    CHECK(core::ListenerStore(cli.store).get(id).settings["headers"]["X-Api-Key"] == "k-789");
    const std::string before = cli.stored();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"listener", "http", "update", "--listener-id", id, "--secret", "-"}, "--secret -: standard input gave an empty line"},
        {{"listener", "http", "update", "--listener-id", id, "--header", "X-Api-Key: -"},
         "--header 'X-Api-Key: ' -: standard input gave an empty line"},
        {{"listener", "http", "update", "--listener-id", id, "--username", "u", "--password", "-", "--secret", "-"},
         "only one option can read standard input"},
    };
    for (const auto& [args, expected] : cases) {
        StdinText in("\nsecond\n");
        const auto r = cli.run(args);
        INFO(args.back() << " -> " << r.err);
        CHECK(r.code == 2);
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find(expected) != std::string::npos);
    }
    CHECK(cli.stored() == before);
}

TEST_CASE("listener updates running at once are applied one after the other: none is lost", "[cli][store]") {
    Cli cli;
    const std::string id = cli.json({"listener", "http", "create", "--event-type", "repo.#", "--url",
                                     "https://hooks.example.com/0"})["id"];
    for (int trial = 0; trial < 20; ++trial) {
        const std::string url = "https://hooks.example.com/" + std::to_string(trial);
        const std::string type = "repo.trial" + std::to_string(trial) + ".#";
        std::thread a([&] { CHECK(cli.run({"listener", "http", "update", "--listener-id", id, "--url", url}).code == 0); });
        std::thread b([&] {
            CHECK(cli.run({"listener", "http", "update", "--listener-id", id, "--event-type", type}).code == 0);
        });
        a.join();
        b.join();
        const auto stored = core::ListenerStore(cli.store).get(id);
        INFO("trial " << trial);
        CHECK(stored.settings["url"] == url);
        REQUIRE(stored.event_types.size() == 1);
        CHECK(stored.event_types[0].text() == type);
    }
}

TEST_CASE("the management API's default URL follows the broker URL: https for amqps://, brackets for IPv6", "[cli][amqp]") {
    Cli cli;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"amqp://u:pw@[::1]:1", "http://[::1]:15672"},
        {"amqps://u:pw@[::1]:1", "https://[::1]:15671"},
        {"amqps://u:pw@localhost:1", "https://localhost:15671"},
    };
    for (const auto& [url, management] : cases) {
        write_private(cli.conf, "[store]\npath = " + cli.store + "\n[messaging]\nurl = " + url + "\ntimeout = 2s\n");
        const auto r = cli.run({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "x"});
        INFO(url << " -> " << r.err);
        CHECK(r.code == 0);  // unreachable: a warning, and the listener is stored
        CHECK(r.err.find("cannot reach the RabbitMQ management API at " + management + " ") != std::string::npos);
        CHECK(r.err.find("pw") == std::string::npos);
    }
}

TEST_CASE("listener explain says why a listener takes an event or not, and shows the message without sending it",
          "[cli][explain]") {
    Cli cli;
    const std::string hook = cli.json({"listener", "http", "create", "--event-type", "repo.sync.*", "--url",
                                       "https://hooks.example.com/n", "--header", "X-Api-Key: key-123",
                                       "--filter", R"(.data.repo_id == "zoo")", "--transform",
                                       "{repo: .data.repo_id, event: .type}", "--rate", "5/s"})["id"];
    const std::string event = R"({"type": "repo.sync.finish", "id": "11111111-2222-4333-8444-555555555555",
                                  "data": {"repo_id": "zoo"}})";
    const auto takes = cli.run({"listener", "explain", hook, "--event", event});
    INFO(takes.err);
    CHECK(takes.code == 0);
    CHECK_THAT(takes.out, Catch::Matchers::StartsWith("Listener " + hook + " (http) takes this repo.sync.finish event.\n"));
    CHECK_THAT(takes.out, Catch::Matchers::Contains("  event type  repo.sync.finish matches repo.sync.*\n") &&
                              Catch::Matchers::Contains("  filter      .data.repo_id == \"zoo\": true\n") &&
                              Catch::Matchers::Contains("  rate        at most 5/s") &&
                              Catch::Matchers::Contains("  POST: https://hooks.example.com/n\n") &&
                              Catch::Matchers::Contains("  Content-Type: application/json\n") &&
                              Catch::Matchers::Contains("  X-Notify-Delivery-Id: " +
                                                        core::delivery_id("11111111-2222-4333-8444-555555555555", hook)) &&
                              Catch::Matchers::Contains("  X-Api-Key: ********\n") &&
                              Catch::Matchers::EndsWith("\n{\"repo\":\"zoo\",\"event\":\"repo.sync.finish\"}\n"));
    CHECK(takes.out.find("key-123") == std::string::npos);

    const auto json = cli.json({"listener", "explain", hook, "--event", event});
    CHECK(json["takes"] == true);
    CHECK(json["message"]["body"] == R"({"repo":"zoo","event":"repo.sync.finish"})");
    CHECK(json["reasons"]["filter"] == ".data.repo_id == \"zoo\": true");

    const auto filtered = cli.run({"listener", "explain", hook, "--event", R"({"type": "repo.sync.finish", "data": {"repo_id": "ark"}})"});
    CHECK(filtered.code == 1);
    CHECK_THAT(filtered.out, Catch::Matchers::Contains("does not take") && Catch::Matchers::Contains(": not true\n"));
    CHECK(filtered.out.find("The message") == std::string::npos);
    const auto failing = cli.run({"listener", "explain", hook, "--event", R"({"type": "repo.sync.start", "data": {}})"});
    CHECK(failing.code == 1);
    const auto other = cli.run({"listener", "explain", hook, "--event", R"({"type": "repo.publish.finish"})"});
    CHECK(other.code == 1);
    CHECK_THAT(other.out, Catch::Matchers::Contains("repo.publish.finish matches none of repo.sync.*"));

    const std::string mail = cli.json({"listener", "email", "create", "--event-type", "repo.#", "--subject", "Repo {data.repo_id}",
                                       "--addresses", "ops@example.com", "--digest", "10m", "--max-mails-per-hour", "4"})["id"];
    const auto digest = cli.run({"listener", "explain", mail, "--event", event});
    CHECK(digest.code == 0);
    CHECK_THAT(digest.out, Catch::Matchers::Contains("sent 10m after the window's first event") &&
                               Catch::Matchers::Contains("  mail limit  4 an hour") &&
                               Catch::Matchers::Contains("  Subject: Digest: 1 event (repo.sync.finish 1)\n") &&
                               Catch::Matchers::Contains("  To: ops@example.com\n") &&
                               Catch::Matchers::Contains("11111111-2222-4333-8444-555555555555  {\"repo_id\":\"zoo\"}"));

    const std::string queue = cli.json({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "pulp",
                                        "--format", "pulp"})["id"];
    const auto amqp = cli.run({"listener", "explain", queue, "--event", event});
    CHECK(amqp.code == 0);
    CHECK_THAT(amqp.out, Catch::Matchers::Contains("  exchange: pulp\n") &&
                             Catch::Matchers::Contains("  subject (routing key): pulp.server.repo.sync.finish\n") &&
                             Catch::Matchers::Contains("  application property event-type: repo.sync.finish\n"));

    // Nothing was sent or stored: no delivery in the outbox.
    CHECK(cli.json({"delivery", "list"}).empty());
    for (const auto& [args, culprit] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"listener", "explain", hook, "--event", "{nope"}, "--event is not JSON"},
             {{"listener", "explain", hook, "--event", R"({"data": {}})"}, "--event: \"type\" is missing"},
             {{"listener", "explain", hook, "--event", R"({"type": "repo.#"})"}, "--event: "},
             {{"listener", "explain", hook, "--event", R"({"type": "a", "data": [1]})"}, "--event: "},
             {{"listener", "explain", "zzzzzzzz", "--event", event}, "zzzzzzzz"},
             {{"listener", "explain", hook}, "--event is required"}}) {
        const auto r = cli.run(args);
        INFO(args.back() << " -> " << r.err);
        CHECK(r.code == 2);
        CHECK(lines(r.err) == 1);
        CHECK_THAT(r.err, Catch::Matchers::Contains(culprit));
    }
}
