// The notify CLI run in-process: parsing, exit codes, one-line errors, --json shapes, and
// that a failed command changes nothing stored. No broker needed: exchanges are not
// auto-created and nothing is delivered.
#include <catch2/catch.hpp>

#include <fstream>

#include "cli_runner.hpp"
#include "notify/core/listener_store.hpp"

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
             {"event", "fire", "--help"}, {"delivery", "retry", "--help"}, {"listen", "--help"}, {"serve", "--help"}}) {
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
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x"}, "--addresses is required"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "{tpye}", "--addresses", "a@b.c"},
         "did you mean {type}"},
        {{"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses", "a@b.c\r\nBcc: e@f.g"},
         "control character"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "gopher://x"}, "http:// or https://"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "https://u:hunter2@x.example/"}, "credentials"},
        {{"listener", "http", "create", "--event-type", "repo.#", "--url", "https://x.example/", "--header", "NoColon"},
         "--header 'NoColon'"},
        {{"listener", "email", "update", "--listener-id", id, "--subject", "x"}, "is an amqp listener"},
        {{"listener", "amqp", "update", "--listener-id", "zzzzzzzz"}, "zzzzzzzz"},
        {{"listener", "delete", "--listener-id", "zzzzzzzz"}, "zzzzzzzz"},
        {{"listener"}, "subcommand is required"},
        {{"event", "fire", "repo.sync.finish", "--data", "{not json"}, "--data is not JSON"},
        {{"event", "fire", "repo.sync.finish", "--data", "[1]"}, "--data must be a JSON object"},
        {{"event", "fire", "repo.sync.finish", "--effective", "tomorrow"}, "--effective"},
        {{"event", "fire", "repo.#"}, "invalid event type 'repo.#'"},
        {{"event", "fire", "repo.sync.finish", "--wait", "-1"}, "--wait"},
        {{"delivery", "list", "--state", "gone"}, "--state"},
        {{"delivery", "retry"}, "needs a delivery id or --all-dead"},
        {{"delivery", "retry", "no-such-id"}, "no dead letter with delivery id 'no-such-id'"},
        {{"delivery", "purge"}, "--dead is required"},
        {{"listen", "--count", "-1"}, "--count"},
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
    std::ofstream(cli.conf, std::ios::app) << "[delivery]\nworkers = many\n";
    const auto r = cli.run({"listener", "list"});
    CHECK(r.code == 2);
    CHECK(r.err.find(cli.conf + ":9: [delivery] workers = 'many'") != std::string::npos);

    Cli disabled;
    std::ofstream(disabled.conf) << "[store]\npath = " << (disabled.dir / "notify.db").string() << "\n";
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
    CHECK(warned.err.find("matches no well-known event type") != std::string::npos);
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
