// The installed notify executable end to end against the test RabbitMQ and a real SMTP server.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cli_setup.hpp"
#include "mail_server.hpp"
#include "test_certs.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;


TEST_CASE("listener amqp create makes the exchange, event fire --wait delivers, listen prints it", "[cli][e2e]") {
    Setup s;
    const auto& broker = Broker::get();
    const std::string exchange = unique("cli");
    const auto created = s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.*.finish", "--exchange", exchange});
    INFO(created.err);
    REQUIRE(created.code == 0);
    const auto listener_id = nlohmann::json::parse(created.out)["id"].get<std::string>();
    const auto ex = broker.api("/api/exchanges/%2F/" + exchange);
    REQUIRE(ex.is_object());
    CHECK(ex["type"] == "topic");
    CHECK(ex["durable"] == true);

    NotifyProcess listen({"--json", "listen", "amqp", "--exchange", exchange, "--subject", "repo.#", "--count", "2", "--timeout", "30"}, s.env);
    wait_for_binding(exchange);

    const auto fired = s.run({"--json", "event", "fire", "repo.sync.finish", "--data", R"({"repo_id": "zoo"})", "--wait", "20"});
    INFO(fired.err);
    CHECK(fired.code == 0);
    const auto receipt = nlohmann::json::parse(fired.out);
    REQUIRE(receipt["deliveries"].size() == 1);
    CHECK(receipt["deliveries"][0]["listener_id"] == listener_id);
    CHECK(receipt["deliveries"][0]["state"] == "delivered");
    CHECK(s.run({"event", "fire", "repo.sync.start", "--wait", "5"}).code == 0);  // matches no listener
    const auto human = s.run({"event", "fire", "repo.publish.finish", "--wait", "20"});
    CHECK(human.code == 0);
    CHECK(human.out.find("listener " + listener_id + ": delivered") != std::string::npos);

    REQUIRE(listen.wait(30s) == 0);
    const auto messages = nlohmann::json::parse(listen.out());
    REQUIRE(messages.size() == 2);
    CHECK(messages[0]["subject"] == "repo.sync.finish");
    CHECK(messages[0]["message_id"] == receipt["deliveries"][0]["delivery_id"]);
    CHECK(messages[0]["body"] == nlohmann::json({{"repo_id", "zoo"}}));  // CloudEvents binary mode: the data
    CHECK(messages[1]["subject"] == "repo.publish.finish");
    // listen left nothing bound to the exchange.
    CHECK(broker.api("/api/exchanges/%2F/" + exchange + "/bindings/source").empty());
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("an email listener: event fire --wait ends when the SMTP server took the mail", "[cli][e2e]") {
    MailServer smtp;
    Setup s("", &smtp);
    REQUIRE(s.run({"listener", "email", "create", "--event-type", "employee.#", "--subject", "{type} {data.uuid}",
                   "--addresses", "hr@example.com"}).code == 0);
    const auto fired = s.run({"event", "fire", "employee.it.create", "--data", R"({"uuid": "u-42"})", "--wait", "20"});
    INFO(fired.err);
    CHECK(fired.code == 0);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    CHECK(mails[0]["rcpt_tos"] == nlohmann::json({"hr@example.com"}));
    CHECK(header(mails[0], "Subject") == "employee.it.create u-42");
}

TEST_CASE("broker down: event fire --wait exits 1 saying what is pending, kept in the outbox", "[cli][e2e]") {
    Setup s("amqp://guest:guest@127.0.0.1:1");
    const auto created = s.run({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "nowhere"});
    CHECK(created.code == 0);
    CHECK(created.err.find("not checked now") != std::string::npos);  // a warning, not a failure
    const auto fired = s.run({"event", "fire", "repo.sync.finish", "--wait", "2"});
    CHECK(fired.code == 1);
    CHECK(fired.err.find("1 of 1 deliveries still pending after 2 s") != std::string::npos);
    const auto pending = s.run({"--json", "delivery", "list", "--state", "pending"});
    REQUIRE(pending.code == 0);
    CHECK(nlohmann::json::parse(pending.out).size() == 1);
    CHECK(fired.err.find("guest:guest") == std::string::npos);
}

TEST_CASE("serve delivers what was stored and drains on SIGTERM", "[cli][e2e]") {
    Setup s;
    const std::string exchange = unique("serve");
    REQUIRE(s.run({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange}).code == 0);
    for (int i = 0; i < 10; ++i) REQUIRE(s.run({"event", "fire", "repo.sync.finish"}).code == 0);
    NotifyProcess listen({"listen", "amqp", "--quiet", "--exchange", exchange, "--count", "10", "--timeout", "40"}, s.env);
    wait_for_binding(exchange);
    NotifyProcess serve({"serve"}, s.env);
    CHECK(listen.wait(40s) == 0);
    std::string expected;
    for (int i = 0; i < 10; ++i) expected += "repo.sync.finish\n";
    CHECK(listen.out() == expected);
    serve.signal(SIGTERM);
    CHECK(serve.wait(20s) == 0);
    CHECK(serve.err().find("0 deliveries left in the outbox") != std::string::npos);
    CHECK(nlohmann::json::parse(s.run({"--json", "delivery", "list"}).out).empty());
    Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("the installed tool: create, list, update, delete, and a refused create changes nothing", "[cli][e2e]") {
    MailServer smtp;
    Setup s("", &smtp);
    const auto created = s.run({"--json", "listener", "email", "create", "--event-type", "repo.*.finish", "--subject",
                                "{type}", "--addresses", "ops@example.com"});
    REQUIRE(created.code == 0);
    const std::string id = nlohmann::json::parse(created.out)["id"];
    const auto updated = s.run({"listener", "email", "update", "--listener-id", id, "--addresses", "dev@example.com",
                                "--json"});
    REQUIRE(updated.code == 0);
    CHECK(nlohmann::json::parse(updated.out)["settings"]["addresses"] == nlohmann::json({"dev@example.com"}));
    const auto before = s.run({"--json", "listener", "list"});
    const auto refused = s.run({"listener", "http", "create", "--event-type", "repo.#", "--url", "file:///etc/passwd"});
    CHECK(refused.code == 2);
    CHECK(refused.err == "notify: url 'file:///etc/passwd' must start with http:// or https://\n");
    CHECK(s.run({"--json", "listener", "list"}).out == before.out);
    CHECK(nlohmann::json::parse(before.out).size() == 1);
    CHECK(s.run({"listener", "delete", "--listener-id", id}).code == 0);
    CHECK(nlohmann::json::parse(s.run({"--json", "listener", "list"}).out).empty());
}

TEST_CASE("known secrets never appear in any output, log line, error or JSON document", "[cli][e2e][secrets]") {
    const auto& broker = Broker::get();
    const std::string broker_password = "Br0ker-" + unique("pw");
    const std::string user = unique("notify-user");
    REQUIRE(broker.api_call("PUT", "/api/users/" + user, R"({"password": ")" + broker_password + R"(", "tags": ""})") / 100 == 2);
    REQUIRE(broker.api_call("PUT", "/api/permissions/%2F/" + user, R"({"configure": ".*", "write": ".*", "read": ".*"})") / 100 == 2);

    const std::string smtp_password = "Smtp-S3cret-pw";
    const std::string hook_password = "Hook-pa55";
    const std::string hook_secret = "Hook-s1gning";
    const std::string header_value = "Api-key-9f8e7d";
    MailServer smtp({"--starttls", cert("server.pem"), cert("server.key"), "--auth", "mailer:" + smtp_password});
    Setup s("", nullptr);
    {
        std::ostringstream out;
        out << "[store]\npath = " << (s.dir / "notify.db").string() << "\n[messaging]\nurl = amqp://" << user << ":"
            << broker_password << "@" << broker.amqp_url.substr(7) << "\nmanagement_url = " << broker.management_url
            << "\ntimeout = 5s\n[email]\nenabled = true\nhost = localhost\nport = " << smtp.server.port()
            << "\nfrom = notify@example.com\nca_file = " << cert("ca.pem") << "\nusername = mailer\npassword = "
            << smtp_password << "\n[delivery]\nbackoff_initial = 100ms\nmax_attempts = 2\n";
        write_private(s.dir / "server.conf", out.str());
    }
    const std::string exchange = unique("secrets");
    std::vector<Ran> runs;
    runs.push_back(s.run({"check-config"}));
    runs.push_back(s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange}));
    runs.push_back(s.run({"listener", "email", "create", "--event-type", "repo.#", "--subject", "{type}", "--addresses",
                          "ops@example.com"}));
    // A webhook on a closed port: its failure and retries are logged and stored.
    runs.push_back(s.run({"--json", "listener", "http", "create", "--event-type", "repo.#", "--url",
                          "http://127.0.0.1:1/hook", "--username", "hooks", "--password", hook_password, "--secret",
                          hook_secret, "--header", "X-Api-Key: " + header_value}));
    const std::string http_id = nlohmann::json::parse(runs.back().out)["id"];
    runs.push_back(s.run({"listener", "list"}));
    runs.push_back(s.run({"--json", "listener", "list"}));
    runs.push_back(s.run({"listener", "http", "update", "--listener-id", http_id, "--url", "https://u:" + hook_password + "@x.example/"}));
    CHECK(runs.back().code == 2);
    runs.push_back(s.run({"--json", "event", "fire", "repo.sync.finish", "--wait", "15"}));
    runs.push_back(s.run({"event", "fire", "repo.publish.finish", "--wait", "15"}));
    runs.push_back(s.run({"--json", "delivery", "list"}));
    runs.push_back(s.run({"delivery", "list"}));
    // A wrong broker password: the refusal is reported without it.
    runs.push_back(run_notify({"listen", "amqp", "--exchange", exchange, "--timeout", "2"},
                              {"NOTIFY_CONFIG=" + (s.dir / "server.conf").string(),
                               "NOTIFY_MESSAGING__URL=amqp://" + user + ":Wrong-" + broker_password + "@" + broker.amqp_url.substr(7)}));
    CHECK(runs.back().code != 0);
    CHECK(smtp.mails().size() == 2);  // the mail part of the cycle really happened

    for (const auto& r : runs) {
        for (const auto& secret : {broker_password, smtp_password, hook_password, hook_secret, header_value}) {
            INFO("secret " << secret << " in:\n" << r.out << r.err);
            CHECK(r.out.find(secret) == std::string::npos);
            CHECK(r.err.find(secret) == std::string::npos);
        }
    }
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
    broker.api_call("DELETE", "/api/users/" + user);
}

TEST_CASE("listener amqp create against an exchange of another type: exit 2 naming it, nothing stored", "[cli][e2e]") {
    const auto& broker = Broker::get();
    Setup s;
    const std::string exchange = unique("cli-direct");
    REQUIRE(broker.api_call("PUT", "/api/exchanges/%2F/" + exchange, R"({"type":"direct","durable":true})") == 201);
    const auto before = s.run({"--json", "listener", "list"});
    for (const bool update : {false, true}) {
        std::vector<std::string> args{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange};
        if (update) {
            const auto created = s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.#"});
            REQUIRE(created.code == 0);
            args = {"listener", "amqp", "update", "--listener-id", nlohmann::json::parse(created.out)["id"], "--exchange",
                    exchange};
        }
        const auto stored = s.run({"--json", "listener", "list"}).out;
        const auto r = s.run(args);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find("exchange '" + exchange + "' is a direct exchange, not a topic exchange") != std::string::npos);
        CHECK(r.err.find("nothing was stored") != std::string::npos);
        CHECK(s.run({"--json", "listener", "list"}).out == stored);
    }
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}
