// The bad-input corpus through the notify CLI (in-process, so the sanitizer builds watch
// every item): each gets exit 2 and one line on stderr naming the culprit, nothing on
// stdout, and the store is unchanged.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"

using namespace notify;
using namespace notify::test;

namespace {

struct Corpus : CliRunner {
    std::string stored() const { return run({"--json", "listener", "list"}).out + run({"--json", "delivery", "list"}).out; }
};

// One corpus item: exit 2, one line naming `culprit`, nothing printed, nothing stored.
void refused(const Corpus& c, const std::vector<std::string>& args, const std::string& culprit) {
    const std::string before = c.stored();
    const auto r = c.run(args);
    std::string shown = args.back().substr(0, 60);
    INFO("item: " << shown << "\nstderr: " << r.err.substr(0, 300));
    CHECK(r.code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("notify: ", 0) == 0);
    CHECK(r.err.find(culprit) != std::string::npos);
    CHECK(r.err.size() < 1000);
    CHECK(r.out.empty());
    CHECK(c.stored() == before);
}

std::string nested(std::size_t levels) {
    return "{\"a\":" + std::string(levels - 1, '[') + "1" + std::string(levels - 1, ']') + "}";
}

}  // namespace

TEST_CASE("corpus: event types", "[corpus]") {
    Corpus c;
    std::string type255;
    while (type255.size() < 255) type255 += "abcdefgh.";
    type255.resize(255);
    if (type255.back() == '.') type255.back() = 'x';
    CHECK(c.run({"event", "fire", type255}).code == 0);
    for (const auto& type : {std::string(), type255 + "x", std::string("*"), std::string("#"), std::string("repo.*"),
                             std::string("repo sync"), std::string("repo\0sync", 9), std::string("repo\r\nsync"),
                             std::string("repo.\xff\xfe"), std::string(".repo"), std::string("repo..sync"),
                             std::string(100000, 'a')}) {
        refused(c, {"event", "fire", type}, "invalid event type");
    }
    for (const auto& pattern : {std::string("repo sync"), std::string("repo.**"), std::string("a\nb"), std::string()}) {
        refused(c, {"listener", "amqp", "create", "--event-type", pattern}, "--event-type");
    }
}

TEST_CASE("corpus: event data", "[corpus]") {
    Corpus c;
    for (const auto& [data, culprit] : std::vector<std::pair<std::string, std::string>>{
             {"42", "--data must be a JSON object"},
             {"[]", "--data must be a JSON object"},
             {"\"text\"", "--data must be a JSON object"},
             {"null", "--data must be a JSON object"},
             {"{\"a\": 1} trailing", "--data is not JSON"},
             {"{\"a\": \"\xff\"}", "--data is not JSON"},
             {"", "--data is not JSON"},
             {"{\"blob\": \"" + std::string(10 * 1024 * 1024, 'x') + "\"}", "larger than 1024 KiB"},
             {nested(10000), "nested deeper than 64 levels"},
         }) {
        refused(c, {"event", "fire", "repo.sync.finish", "--data", data}, culprit);
    }
    refused(c, {"event", "fire", "repo.sync.finish", "--effective", "9999-12-31T23:59:59Z"}, "--effective");
    refused(c, {"event", "fire", "repo.sync.finish", "--source", "a\r\nb"}, "invalid event source");
}

TEST_CASE("corpus: server.conf", "[corpus]") {
    Corpus c;
    const auto conf_refused = [&](const std::string& text, const std::string& culprit) {
        c.write_raw(text);
        refused(c, {"listener", "list"}, culprit);
    };
    std::string garbage;
    for (int i = 0; i < 512; ++i) garbage += static_cast<char>((i * 7919) % 256);
    conf_refused(garbage, c.conf + ":");
    conf_refused("[delivery]\nworkers = 2\n[delivery]\nworkers = 3\n", "workers is set twice");
    conf_refused("[delivery]\nworkrs = 2\n", "did you mean 'workers'");
    conf_refused("[nonsense]\nx = 1\n", "[nonsense]");
    conf_refused("[delivery]\nworkers = lots\n", ":4: [delivery] workers");
    conf_refused("[messaging]\ntopic_exchange = a\n[messaging]\ntopic_exchange = b\n", "[messaging]");
    conf_refused("[delivery]\nworkers = -1\n", "workers");
    conf_refused("[delivery]\nworkers = 99999999999999999999999\n", "workers");
    conf_refused("[delivery]\nmax_age = 1000000d\n", "max_age");
    conf_refused("[messaging]\ntopic_exchange = " + std::string(1024 * 1024, 'x') + "\n", c.conf + ":");
    conf_refused("[messaging]\nurl = http://broker\n", "url");
    conf_refused("[email]\nfrom = a@b.c\r\nBcc: x@y.z\n", c.conf + ":");
    conf_refused("no section = 1\n", c.conf + ":");
    // A [messaging] that cannot work refuses amqp listeners, without showing the password.
    c.write_raw("[messaging]\nurl = amqp://u:Hunter2pw@broker.example:5672\n");
    refused(c, {"listener", "amqp", "create", "--event-type", "repo.#"}, "in clear text to broker.example");
    CHECK(c.run({"listener", "amqp", "create", "--event-type", "repo.#"}).err.find("Hunter2pw") == std::string::npos);
}

TEST_CASE("corpus: the store file", "[corpus]") {
    Corpus c;
    REQUIRE(c.run({"listener", "email", "create", "--event-type", "repo.#", "--subject", "{type}", "--addresses",
                   "ops@example.com"}).code == 0);
    for (int i = 0; i < 50; ++i) REQUIRE(c.run({"event", "fire", "repo.sync.finish"}).code == 0);
    REQUIRE(c.run({"listener", "list"}).code == 0);  // checkpoints nothing: read the file as it is
    std::ifstream in(c.store, std::ios::binary);
    const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(good.size() > 8192);
    const auto write = [&](const std::string& bytes) {
        std::filesystem::remove(c.store + "-wal");
        std::filesystem::remove(c.store + "-shm");
        std::ofstream(c.store, std::ios::binary | std::ios::trunc) << bytes;
    };
    const auto damaged = [&](const std::string& bytes, const std::string& culprit) {
        write(bytes);
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"listener", "list"}, {"event", "fire", "repo.sync.finish"}, {"delivery", "list"}}) {
            const auto r = c.run(args);
            INFO(args[0] << ": " << r.err);
            CHECK(r.code == 2);
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            CHECK(r.err.find(culprit) != std::string::npos);
            CHECK(r.err.find(c.store) != std::string::npos);
            CHECK(r.out.empty());
        }
        std::ifstream after(c.store, std::ios::binary);
        CHECK(std::string((std::istreambuf_iterator<char>(after)), std::istreambuf_iterator<char>()) == bytes);
    };
    damaged(good.substr(0, good.size() / 2), "damaged");
    damaged(good.substr(0, 100), "not a usable notify store");
    std::string random_bytes;
    for (std::size_t i = 0; i < good.size(); ++i) random_bytes += static_cast<char>((i * 2654435761U) >> 13);
    damaged(random_bytes, "not a usable notify store");
    std::string newer = good;
    newer[63] = static_cast<char>(newer[63] + 50);  // user_version (big-endian at offset 60)
    damaged(newer, "written by a newer notify");
    // Another program's SQLite database.
    write("");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(c.store.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE photos(id INTEGER); INSERT INTO photos VALUES (1);", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    std::ifstream foreign_in(c.store, std::ios::binary);
    damaged(std::string((std::istreambuf_iterator<char>(foreign_in)), std::istreambuf_iterator<char>()), "another program");
}

TEST_CASE("corpus: exchange names, mail fields and URLs", "[corpus]") {
    Corpus c;
    for (const auto& name : {std::string(256, 'x'), std::string("a/b"), std::string("a%2Fb"), std::string("a b"),
                             std::string("a\r\nb"), std::string("\xc3\xa9")}) {
        refused(c, {"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", name}, "invalid exchange");
    }
    refused(c, {"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", ""}, "--exchange must not be empty");
    for (const auto& address : {std::string("a@b.c\r\nBcc: d@e.f"), std::string("<a@b.c>"), std::string("a@b.c>"),
                                std::string("\xc3\xa9@b.c"), std::string("a@b.c\0d@e.f", 11), std::string("a@@b.c")}) {
        refused(c, {"listener", "email", "create", "--event-type", "repo.#", "--subject", "s", "--addresses", address},
                "address");
    }
    for (const auto& subject : {std::string("a\r\nBcc: d@e.f"), std::string("{nope}"), std::string("\xff"),
                                std::string(501, 's')}) {
        refused(c, {"listener", "email", "create", "--event-type", "repo.#", "--subject", subject, "--addresses", "a@b.c"},
                "subject");
    }
    for (const auto& [url, culprit] : std::vector<std::pair<std::string, std::string>>{
             {"file:///etc/passwd", "must start with http:// or https://"},
             {"gopher://example.com/", "must start with http:// or https://"},
             {"ftp://example.com/", "must start with http:// or https://"},
             {"http://", "is not a valid URL"},
             {"javascript:alert(1)", "url"},
             {"https://admin:S3cretPw@example.com/", "must not hold credentials"},
             {"https://example.com/\r\nX: y", "control character"},
             {"https://example.com/" + std::string(3000, 'p'), "longer than 2048"},
         }) {
        refused(c, {"listener", "http", "create", "--event-type", "repo.#", "--url", url}, culprit);
        CHECK(c.run({"listener", "http", "create", "--event-type", "repo.#", "--url", url}).err.find("S3cretPw") ==
              std::string::npos);
    }
}

TEST_CASE("corpus: listener filter programs", "[corpus]") {
    Corpus c;
    const std::vector<std::string> programs = {
        ".data.repo_id ==",
        "nosuchfunction",
        "$undefined_variable",
        "((((.a)",
        ".a]]]",
        "\"unterminated",
        ".a |||| .b",
        "if . then 1",
        "reduce . as $x",
        "import \"m\" as m; m::f",
        "include \"missing\"; .",
        "import \"./m\" as m; .",
        "include \"/etc/passwd\"; .",
        "import \"../../m\" as $m; .",
        "def f: ; f",
        ".a\x01\x02 == 1",
        std::string("\xff\xfe == 1"),
        std::string(".a == \"x\0y\"", 12),
        std::string(3000, '(') + "." + std::string(2999, ')'),
        std::string(4097, ' '),
        "{(1,2): 3",
    };
    for (const auto& program : programs) {
        refused(c, {"listener", "amqp", "create", "--event-type", "repo.#", "--filter", program}, "--filter");
        refused(c, {"listener", "http", "create", "--event-type", "repo.#", "--url", "https://x.example/", "--transform",
                    program},
                "--transform");
    }
}

TEST_CASE("corpus: rates and digest windows", "[corpus]") {
    Corpus c;
    for (const std::string rate : {"", "/s", "1/", "1/sec", "-1/s", "0/min", "1.5/s", "1e3/s", "100001/s",
                                   "99999999999/s", "10/s ", " 10/s", "10/S", "１/s", "10/min/s", "\x01/s"}) {
        refused(c, {"listener", "amqp", "create", "--event-type", "repo.#", "--rate", rate}, "--rate");
    }
    for (const std::string window : {"", "0", "999ms", "25h", "2d", "-1s", "1x", "1e9", "forever", "10 m", "\xff"}) {
        refused(c, {"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses",
                    "ops@example.com", "--digest", window},
                "--digest");
    }
    for (const std::string n : {"-1", "100001", "1.5", "many", "", "9999999999999"}) {
        refused(c, {"listener", "email", "create", "--event-type", "repo.#", "--subject", "x", "--addresses",
                    "ops@example.com", "--max-mails-per-hour", n},
                "--max-mails-per-hour");
    }
}

TEST_CASE("corpus: CLI option values", "[corpus]") {
    Corpus c;
    refused(c, {"event", "fire", "repo.sync.finish", "--wait", "soon"}, "--wait");
    refused(c, {"event", "fire", "repo.sync.finish", "--wait", "-3"}, "--wait");
    refused(c, {"listen", "amqp", "--count", "many"}, "--count");
    refused(c, {"listen", "amqp", "--timeout", "-1"}, "--timeout");
    refused(c, {"listen", "amqp", "--subject", "a b"}, "--subject");
    refused(c, {"delivery", "list", "--state", "lost"}, "--state");
    refused(c, {"listener", "delete", "--listener-id", "x\r\ny"}, "no listener with id");
    refused(c, {"listener", "delete", "--listener-id", std::string(5000, 'z')}, "no listener with id");
    refused(c, {"listener", "amqp", "update", "--listener-id", "nope", "--format", "pulp"}, "nope");
    refused(c, {"listener", "amqp", "create", "--event-type", "repo.#", "--format", "CLOUDEVENTS"}, "--format");
    refused(c, {"listener", "http", "create", "--event-type", "repo.#", "--url", "https://e.example/", "--header",
                "X-A: b\r\nInjected: 1"}, "header");
    refused(c, {"listener", "http", "create", "--event-type", "repo.#", "--url", "https://e.example/", "--header",
                "Content-Type: text/plain"}, "set by notify");
    refused(c, {"--config"}, "--config");
    refused(c, {"nosuchcommand"}, "nosuchcommand");
}
