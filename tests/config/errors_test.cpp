// Bad server.conf input: one line naming file:line (or the variable) and the key.
#include <catch2/catch.hpp>

#include <fstream>

#include "plugin_schema.hpp"
#include "notify/config/loader.hpp"
#include "notify/core/error.hpp"
#include "temp_dir.hpp"

using namespace notify::config;
using Catch::Contains;

namespace {

std::string error_of(const std::string& text, const Environment& env = {}) {
    try {
        notify::test::parse_with_plugins(text, "server.conf", env);
    } catch (const notify::ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("file mistakes name file:line and the key", "[config][errors]") {
    struct Case {
        std::string text;
        std::string expected;
    };
    const Case cases[] = {
        {"[messaging]\ntopic_exchnge = x\n", "server.conf:2: unknown key 'topic_exchnge' in [messaging]; did you mean 'topic_exchange'?"},
        {"[messagin]\nurl = amqp://a\n", "server.conf:2: unknown section [messagin]; did you mean [messaging]?"},
        {"[messaging]\nport = 25\n", "server.conf:2: unknown key 'port' in [messaging]; it belongs in [email]"},
        {"[messaging]\ncolour = blue\n", "server.conf:2: unknown key 'colour' in [messaging]"},
        {"url = amqp://a\n", "server.conf:1: key 'url' is outside any [section]"},
        {"[email]\nport = 25\n\nport = 26\n", "server.conf:4: [email] port is set twice (first at line 2)"},
        {"[email]\nport = 25\n[store]\npath = /x\n[email]\nhost = h\n", "server.conf:6: section [email] appears twice (first used at line 2)"},
        {"[email]\nthis line is not ini\n", "server.conf:2: expected '[section]', 'key = value' or a comment"},
        {"[email\nport = 1\n", "server.conf:1: expected '[section]'"},
        {"[email]\nenabled = maybe\n", "server.conf:2: [email] enabled = 'maybe': expected true or false"},
        {"[email]\nport = 0\n", "server.conf:2: [email] port = '0': expected a whole number from 1 to 65535"},
        {"[email]\nport = 99999999999999999999\n", "expected a whole number from 1 to 65535"},
        {"[email]\nport = 25x\n", "[email] port = '25x'"},
        {"[email]\nport =\n", "[email] port = '': expected a whole number"},
        {"[email]\ntls = maybe\n", "[email] tls = 'maybe': expected one of: starttls, ssl, none"},
        {"[delivery]\nworkers = -1\n", "[delivery] workers = '-1': expected a whole number from 1 to 256"},
        {"[delivery]\nlease = 10 minutes\n", "[delivery] lease = '10 minutes': expected a duration from 1s to 1h"},
        {"[delivery]\nlease = 2h\n", "expected a duration from 1s to 1h"},
        {"[delivery]\nbackoff_initial = 10m\nbackoff_max = 1m\n", "server.conf:2: [delivery] backoff_initial is longer than backoff_max (server.conf:3)"},
        {"[delivery]\nworkers = 3\nlistener_concurrency = 3\n", "server.conf:3: [delivery] listener_concurrency (3) must be lower than workers (3, server.conf:2)"},
        {"[store]\noutbox = disk\n", "[store] outbox = 'disk': expected one of: durable, memory"},
        {"[store]\npath = /var/lib/n.db\nurl = postgresql://db.example/app\n",
         "server.conf:2: [store] path and [store] url (server.conf:3) name two different stores; keep one"},
        {"[store]\nurl = mysql://db.example/app\n",
         "server.conf:2: [store] url = 'mysql://db.example/app': 'mysql://db.example/app' is not a usable URL: the scheme must be "
         "postgresql or postgres"},
        {"[store]\nurl = postgresql://db.example/app\nschema =\n", "server.conf:3: [store] schema is empty"},
        {"[store]\nurl = postgresql://db.example/app\nschema = Fleet-A\n",
         "server.conf:3: [store] schema = 'Fleet-A': expected 1 to 63 of a-z, 0-9 and _, not starting with a digit"},
        {"[messaging]\nurl = http://broker\n", "server.conf:2: [messaging] url = 'http://broker': 'http://broker' is not a usable URL: the scheme must be amqp or amqps"},
        {"[messaging]\nurl = amqp://\n", "the host is missing"},
        {"[messaging]\nurl = amqp://host:0\n", "the port must be a number from 1 to 65535"},
        {"[messaging]\nurl = amqp://host:http\n", "the port must be a number"},
        {"[messaging]\nurl = amqp://a,,amqp://b\n", "without empty items"},
        {"[messaging]\nurl = broker.example\n", "expected scheme://host[:port]"},
        {"[messaging]\nmanagement_url = ftp://x\n", "the scheme must be http or https"},
        {"[messaging]\ntopic_exchange = my exchange\n", "[messaging] topic_exchange = 'my exchange': expected 1-255 letters"},
        {"[messaging]\ntopic_exchange = a/b\n", "expected 1-255 letters"},
        {"[messaging]\ntopic_exchange = " + std::string(180, 'x') + "\n  more\n", "only lists may span lines"},
        {"[store]\npath =\n", "[store] path = '': expected a file path"},
        {"[serve]\nmetrics = 9464\n", "server.conf:2: [serve] metrics = '9464': expected IPV4:PORT or [IPV6]:PORT"},
        {"[serve]\nmetrics = localhost:9464\n", "'localhost' is not an IP address"},
        {"[serve]\nmetrics = 127.0.0.1:99999\n", "the port must be 1 to 65535"},
        {"[serve]\nmetrics = 127.0.0.1:0\n", "the port must be 1 to 65535"},
        {"[serve]\nmetrics = ::1:9464\n", "'::1' is not an IP address"},
        {"[serve]\nunhealthy_after = 0\n", "[serve] unhealthy_after = '0': expected a duration from 1s to 24h"},
        {"[log]\nformat = xml\n", "server.conf:2: [log] format = 'xml': expected one of: text, json"},
        {"[log]\nlevel = verbose\n", "[log] level = 'verbose': expected one of: debug, info, warning, error"},
        {"[email]\nhost = a\x01" "b\n", "server.conf:2: line contains control characters"},
        {"[email]\nhost = a\xff\n", "server.conf:2: line is not valid UTF-8"},
        {std::string("[email]\nhost = a\0b\n", 19), "server.conf:2: line contains a NUL byte"},
        {"[email]\nhost = " + std::string(300, 'h') + "\n", "server.conf:2: line is longer than"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const std::string message = error_of(c.text);
        CHECK_THAT(message, Contains(c.expected));
        CHECK(message.find('\n') == std::string::npos);
    }
}

TEST_CASE("binary garbage is refused at the first bad line", "[config][errors]") {
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 256);
    CHECK_THAT(error_of(garbage), Contains("server.conf:1: line"));
}

TEST_CASE("a file over 1 MiB is refused", "[config][errors]") {
    notify::test::TempDir dir;
    const auto path = dir / "huge.conf";
    std::ofstream(path) << std::string(2 << 20, ';');
    CHECK_THROWS_WITH(notify::test::load_with_plugins(path, Environment{}), Contains("larger than 1 MiB"));
}

TEST_CASE("environment mistakes name the variable", "[config][errors]") {
    const auto env = [](std::string name, std::string value) {
        Environment e;
        e.vars.emplace(std::move(name), std::move(value));
        return e;
    };
    CHECK(error_of("", env("NOTIFY_MESSAGING__TOPIC_EXCHNGE", "x")) ==
          "environment variable NOTIFY_MESSAGING__TOPIC_EXCHNGE: unknown key 'topic_exchnge' in "
          "[messaging]; did you mean 'topic_exchange' (NOTIFY_MESSAGING__TOPIC_EXCHANGE)?");
    CHECK_THAT(error_of("", env("NOTIFY_MESAGING__URL", "x")),
               Contains("NOTIFY_MESAGING__URL: unknown section [mesaging]; did you mean [messaging]?"));
    CHECK(error_of("", env("NOTIFY_DELIVERY__WORKERS", "lots")) ==
          "environment variable NOTIFY_DELIVERY__WORKERS: [delivery] workers = 'lots': expected a "
          "whole number from 1 to 256");
    CHECK_THAT(error_of("", env("NOTIFY_EMAIL__HOST", "mail\r\nRCPT TO:<x>")),
               Contains("NOTIFY_EMAIL__HOST: [email] host = 'mail\\x0d\\x0aRCPT TO:<x>': control characters are not allowed"));
}

TEST_CASE("error messages never show a secret", "[config][errors]") {
    Environment e;
    e.vars.emplace("NOTIFY_EMAIL__PASSWORD", "hunter2\nmore");
    const std::string message = error_of("", e);
    CHECK_THAT(message, Contains("[email] password = '********'"));
    CHECK(message.find("hunter2") == std::string::npos);
    const std::string url_message = error_of("[messaging]\nurl = amqp://u:t0psecret@host:99999\n");
    CHECK_THAT(url_message, Contains("the port must be"));
    CHECK(url_message.find("t0psecret") == std::string::npos);
    const std::string store_message = error_of("[store]\nurl = mysql://u:t0psecret@db/app\n");
    CHECK_THAT(store_message, Contains("'mysql://u:********@db/app' is not a usable URL"));
    CHECK(store_message.find("t0psecret") == std::string::npos);
}
