// server.conf loading: defaults, file values, environment overrides, provenance.
#include <catch2/catch.hpp>

#include <fstream>

#include "plugin_schema.hpp"
#include "notify/config/loader.hpp"
#include "notify/config/notifier_options.hpp"
#include "notify/core/error.hpp"
#include "temp_dir.hpp"

using namespace notify::config;
using notify::test::TempDir;
using Catch::Contains;
using namespace std::chrono_literals;

namespace {

Environment env(std::initializer_list<std::pair<const std::string, std::string>> vars = {}) {
    Environment e;
    for (const auto& [k, v] : vars) e.vars.emplace(k, v);
    return e;
}

void write(const std::filesystem::path& path, const std::string& text) { notify::test::write_private(path, text); }

}  // namespace

TEST_CASE("without a file every key has its documented default", "[config]") {
    const Settings s = notify::test::load_with_plugins(std::nullopt, env());
    CHECK_FALSE(s.file().has_value());
    const auto& m = s.section("messaging");
    CHECK(m.list("url") == std::vector<std::string>{"amqp://localhost:5672"});
    CHECK(m.string("topic_exchange") == "amq.topic");
    CHECK(m.boolean("auto_create_exchange"));
    CHECK(m.string("management_url").empty());
    CHECK(m.origin("url") == "default");
    const auto& e = s.section("email");
    CHECK_FALSE(e.boolean("enabled"));
    CHECK(e.string("host") == "localhost");
    CHECK(e.integer("port") == 25);
    CHECK(e.string("tls") == "starttls");
    CHECK(s.store().path == "/var/lib/notify/notify.db");
    CHECK_FALSE(s.store().memory_outbox);
    CHECK_FALSE(s.store().sync_full);
    const auto d = s.delivery();
    CHECK(d.workers == 4);
    CHECK(d.listener_concurrency == 2);
    CHECK(d.listener_prefetch == 256);
    CHECK(d.max_attempts == 25);
    CHECK(d.max_age == 24h);
    CHECK(d.backoff_initial == 1s);
    CHECK(d.backoff_max == 5min);
    CHECK(d.lease == 60s);
}

TEST_CASE("file values replace defaults and remember where they were written", "[config]") {
    TempDir dir;
    const auto path = dir / "server.conf";
    write(path,
          "; notify test configuration\n"
          "# both comment styles\n"
          "[messaging]\n"
          "url = amqps://user:pw@broker1.example:5671, amqp://broker2.example\n"
          "topic_exchange = pulp\n"
          "auto_create_exchange = no\n"
          "management_url = https://broker1.example:15671/api\n"
          "\n"
          "[email]\n"
          "enabled = yes\n"
          "port = 2525\n"
          "tls = ssl\n"
          "password = p@ss;word  ; an inline comment\n"
          "[store]\n"
          "path = /tmp/x/notify.db\n"
          "[delivery]\n"
          "workers = 8\n"
          "max_age = 2d\n"
          "backoff_initial = 250ms\n"
          "backoff_max = 90\n"
          "lease = 2m\n"
          "[serve]\n"
          "metrics = [::1]:9464\n"
          "unhealthy_after = 90s\n"
          "[log]\n"
          "level = warning\n"
          "format = json\n");
    const Settings s = notify::test::load_with_plugins(path, env());
    REQUIRE(s.file().has_value());
    const auto& m = s.section("messaging");
    CHECK(m.list("url") == std::vector<std::string>{"amqps://user:pw@broker1.example:5671", "amqp://broker2.example"});
    CHECK(m.string("topic_exchange") == "pulp");
    CHECK_FALSE(m.boolean("auto_create_exchange"));
    CHECK(m.origin("topic_exchange") == path.string() + ":5");
    CHECK(s.section("email").boolean("enabled"));
    CHECK(s.section("email").integer("port") == 2525);
    CHECK(s.section("email").string("password") == "p@ss;word");
    CHECK(s.store().path == "/tmp/x/notify.db");
    const auto d = s.delivery();
    CHECK(d.workers == 8);
    CHECK(d.max_age == 48h);
    CHECK(d.backoff_initial == 250ms);
    CHECK(d.backoff_max == 90s);
    CHECK(d.lease == 2min);
    CHECK(s.serve().metrics == "[::1]:9464");
    CHECK(s.serve().unhealthy_after == 90s);
    CHECK(s.log().lowest == notify::core::LogLevel::warning);
    CHECK(s.log().json);
}

TEST_CASE("NOTIFY_<SECTION>__<KEY> overrides the file", "[config]") {
    TempDir dir;
    const auto path = dir / "server.conf";
    write(path, "[messaging]\ntopic_exchange = from-file\n[delivery]\nworkers = 2\n");
    const Settings s = notify::test::load_with_plugins(path, env({{"NOTIFY_MESSAGING__TOPIC_EXCHANGE", "pulp"},
                                       {"NOTIFY_EMAIL__ENABLED", "true"},
                                       {"NOTIFY_CONFIG", "ignored-here"},
                                       {"NOTIFYING", "unrelated"},
                                       {"HOME", "/root"}}));
    CHECK(s.section("messaging").string("topic_exchange") == "pulp");
    CHECK(s.section("messaging").origin("topic_exchange") == "NOTIFY_MESSAGING__TOPIC_EXCHANGE");
    CHECK(s.section("email").boolean("enabled"));
    CHECK(s.delivery().workers == 2);
    CHECK(s.delivery().listener_concurrency == 1);  // unset: follows workers
    CHECK(s.section("delivery").origin("workers") == path.string() + ":4");
}

TEST_CASE("long URL lists continue on indented lines", "[config]") {
    const Settings s = notify::test::parse_with_plugins("[messaging]\nurl = amqp://a.example,\n  amqp://b.example\n\tamqp://c.example:5673\n",
                             "server.conf", env());
    CHECK(s.section("messaging").list("url") ==
          std::vector<std::string>{"amqp://a.example", "amqp://b.example", "amqp://c.example:5673"});
}

TEST_CASE("CRLF line ends and a UTF-8 byte order mark are accepted", "[config]") {
    const Settings s = notify::test::parse_with_plugins("\xef\xbb\xbf[messaging]\r\ntopic_exchange = crlf\r\n", "server.conf", env());
    CHECK(s.section("messaging").string("topic_exchange") == "crlf");
}

TEST_CASE("secrets and URL passwords are masked in output", "[config]") {
    const Settings s = notify::test::parse_with_plugins("[messaging]\nurl = amqps://svc:t0psecret@broker.example\n"
                             "management_url = https://admin:m4nage@broker.example:15671\n"
                             "[email]\npassword = hunter2\nusername = mailer\n",
                             "server.conf", env());
    const std::string shown = s.to_masked_json().dump();
    CHECK(shown.find("t0psecret") == std::string::npos);
    CHECK(shown.find("m4nage") == std::string::npos);
    CHECK(shown.find("hunter2") == std::string::npos);
    CHECK(s.to_masked_json()["messaging"]["url"][0] == "amqps://svc:********@broker.example");
    CHECK(s.to_masked_json()["email"]["password"] == "********");
    CHECK(s.to_masked_json()["email"]["username"] == "mailer");
    // Handlers get the real values.
    CHECK(s.section("email").to_json()["password"] == "hunter2");
    CHECK(s.section("delivery").to_json()["lease"] == 60000);
}

TEST_CASE("the config file is found by --config, then NOTIFY_CONFIG, then the default", "[config]") {
    TempDir dir;
    const auto a = dir / "a.conf";
    const auto b = dir / "b.conf";
    write(a, "");
    write(b, "");
    const auto missing_default = dir / "etc" / "server.conf";
    CHECK(resolve_config_path(a, env({{"NOTIFY_CONFIG", b.string()}}), missing_default) == a);
    CHECK(resolve_config_path(std::nullopt, env({{"NOTIFY_CONFIG", b.string()}}), missing_default) == b);
    CHECK_FALSE(resolve_config_path(std::nullopt, env(), missing_default).has_value());
    CHECK(resolve_config_path(std::nullopt, env(), a) == a);
    CHECK_THROWS_WITH(resolve_config_path(dir / "nope.conf", env(), missing_default),
                      Contains("nope.conf: no such file (named by --config)"));
    CHECK_THROWS_WITH(resolve_config_path(std::nullopt, env({{"NOTIFY_CONFIG", (dir / "gone.conf").string()}}),
                                          missing_default),
                      Contains("gone.conf: no such file (named by NOTIFY_CONFIG)"));
}

TEST_CASE("the shipped example configuration loads", "[config]") {
    const std::filesystem::path example = std::filesystem::path(NOTIFY_SOURCE_DIR) / "config" / "server.conf.example";
    const Settings s = notify::test::load_with_plugins(example, env());
    CHECK(s.section("messaging").string("topic_exchange") == "amq.topic");
}

TEST_CASE("settings become the notifier's options, each handler section included", "[config]") {
    const Settings s = notify::test::parse_with_plugins("[store]\npath = /tmp/n.db\noutbox = memory\nsync = full\n"
                             "[delivery]\nworkers = 6\nlistener_concurrency = 1\nlistener_prefetch = 32\n"
                             "max_attempts = 7\nbackoff_initial = 2s\nlease = 10s\n[email]\nport = 2525\n",
                             "server.conf", env());
    const auto o = notifier_options(s, std::make_shared<notify::core::HandlerRegistry>());
    CHECK(o.store.path == "/tmp/n.db");
    CHECK(o.outbox == notify::core::NotifierOptions::OutboxMode::memory);
    CHECK(o.sync_full);
    CHECK(o.workers == 6);
    CHECK(o.listener_concurrency == 1);
    CHECK(o.listener_prefetch == 32);
    CHECK(o.retry.max_attempts == 7);
    CHECK(o.retry.backoff_initial == 2s);
    CHECK(o.retry.max_age == 24h);
    CHECK(o.lease == 10s);
    REQUIRE(o.handler_sections.count("email") == 1);
    CHECK(o.handler_sections.at("email").at("port") == 2525);
    CHECK(o.handler_sections.at("messaging").at("topic_exchange") == "amq.topic");
}

TEST_CASE("[store] url, password and schema name a PostgreSQL store, and the environment may give the password",
          "[config]") {
    Environment e;
    e.vars.emplace("NOTIFY_STORE__PASSWORD", "s3cret");
    const Settings s = notify::test::parse_with_plugins(
        "[store]\nurl = postgresql://notify@db.example:5433/app?sslmode=verify-full\nschema = fleet_a\n", "server.conf", e);
    const auto o = notifier_options(s, std::make_shared<notify::core::HandlerRegistry>());
    CHECK(o.store.url == "postgresql://notify@db.example:5433/app?sslmode=verify-full");
    CHECK(o.store.password == "s3cret");
    CHECK(o.store.schema == "fleet_a");
    CHECK_FALSE(o.store.is_file());
    CHECK(o.store.engine() == "postgresql");
    CHECK(o.store.describe() == "postgresql://notify@db.example:5433/app?sslmode=verify-full (schema fleet_a)");
    CHECK(s.to_masked_json().dump().find("s3cret") == std::string::npos);
    // A password in a PostgreSQL URL's query, or holding '/' and '@', is masked too.
    const auto in_query = notify::test::parse_with_plugins(
        "[store]\nurl = postgresql://notify@db/app?password=s3cret&sslmode=require\n", "server.conf", env());
    CHECK(in_query.to_masked_json().at("store").at("url") == "postgresql://notify@db/app?password=********&sslmode=require");
    const auto odd = notify::test::parse_with_plugins("[store]\nurl = postgresql://u:p/a@ss@db/app\n", "server.conf", env());
    CHECK(odd.to_masked_json().at("store").at("url") == "postgresql://u:********@db/app");
    // libpq's other URL forms: a unix socket, several hosts.
    for (const char* url : {"postgresql:///app?host=/run/postgresql", "postgres://a.example:5432,b.example:5433/app"}) {
        const auto other = notify::test::parse_with_plugins(std::string("[store]\nurl = ") + url + "\n", "server.conf", env());
        CHECK(other.store().url == url);
    }
    // Without url, path names the SQLite file as before.
    const auto file = notifier_options(notify::test::parse_with_plugins("[store]\npath = /tmp/n.db\n", "server.conf", env()),
                                       std::make_shared<notify::core::HandlerRegistry>());
    CHECK(file.store.is_file());
    CHECK(file.store.engine() == "sqlite");
    CHECK(file.store.describe() == "/tmp/n.db");
}

TEST_CASE("a server.conf holding a password must be private: others reading it or anyone else writing it is refused",
          "[config][permissions]") {
    notify::test::TempDir dir;
    const auto path = dir / "server.conf";
    const auto load_with = [&](const std::string& text, std::filesystem::perms mode, const Environment& e = env()) {
        write(path, text);
        std::filesystem::permissions(path, mode);
        return notify::test::load_with_plugins(path, e);
    };
    using std::filesystem::perms;
    const std::string password = "[store]\npath = /tmp/x.db\n[email]\nusername = u\npassword = hunter2\n";
    const std::string url = "[messaging]\nurl = amqp://a,\n    amqp://svc:hunter2@b\n";
    CHECK_NOTHROW(load_with(password, perms(0600)));
    CHECK_NOTHROW(load_with(password, perms(0400)));
    try {
        load_with(password, perms(0640));
        FAIL("a password readable by the group was accepted");
    } catch (const notify::ConfigError& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(path.string() + ":5: [email] password is a secret, but users other than the owner"));
        CHECK_THAT(message, Catch::Contains("(mode 0640); chmod 600 " + path.string()));
        CHECK_THAT(message, Catch::Contains("NOTIFY_EMAIL__PASSWORD"));
        CHECK(message.find("hunter2") == std::string::npos);
    }
    CHECK_THROWS_WITH(load_with(url, perms(0644)), Catch::Contains(":2: [messaging] url holds a password"));
    CHECK_THROWS_WITH(load_with("[store]\nurl = postgresql://notify@db/app?password=s3cret\n", perms(0644)),
                      Catch::Contains(":2: [store] url holds a password"));
    CHECK_THROWS_WITH(load_with("[store]\nurl = postgresql://notify@db/app\npassword = s3cret\n", perms(0644)),
                      Catch::Contains(":3: [store] password is a secret"));
    // The same settings with the password from the environment: the file may be read by all.
    CHECK_NOTHROW(load_with("[email]\nusername = u\n", perms(0644), env({{"NOTIFY_EMAIL__PASSWORD", "hunter2"}})));
    // A file others can change is refused with or without secrets.
    CHECK_THROWS_WITH(load_with("[email]\nhost = mail\n", perms(0664)),
                      Catch::Contains("users other than its owner can change it (mode 0664)"));
    CHECK_THROWS_WITH(load_with("[email]\nhost = mail\n", perms(0606)), Catch::Contains("(mode 0606)"));
    CHECK_NOTHROW(load_with("[email]\nhost = mail\n", perms(0644)));
}
