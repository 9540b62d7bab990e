// The email handler against a real SMTP server (aiosmtpd) on loopback.
#include <catch2/catch.hpp>

#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "handler_schema.hpp"
#include "handler_notifier.hpp"
#include "mail_server.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/handlers/email/email.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using State = core::DeliveryStatus::State;

namespace {

HandlerNotifier email_notifier(const nlohmann::json& section, core::RetryPolicy retry = quick_retries()) {
    return HandlerNotifier([](core::HandlerRegistry& r) { handlers::email::register_handler(r); },
                           {{"email", section}}, retry);
}

core::Listener mail_listener(const std::string& subject, nlohmann::json addresses, const std::string& format = "cloudevents") {
    return listener("email", {"repo.#"}, {{"subject", subject}, {"addresses", std::move(addresses)}}, format);
}

core::Event repo_event(nlohmann::json data = {{"repo_id", "zoo"}}) {
    return core::Event("repo.sync.finish", std::move(data), "pulp.test");
}

// The JSON at the end of the mail body.
nlohmann::json json_in_body(const std::string& body) {
    const auto start = body.find("\n{");
    REQUIRE(start != std::string::npos);
    return nlohmann::json::parse(body.substr(start + 1));
}

}  // namespace

TEST_CASE("a mail carries RFC 5322 headers, the recipients and the event", "[email][smtp]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    const auto id = n.add_listener(mail_listener("Repo {data.repo_id}: {type} \xE2\x9C\x93", {"ops@example.com", "dev@example.org"}));
    n.start();
    const auto event = repo_event();
    const auto status = n.fire_and_flush(event);
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::delivered);

    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    const auto& m = mails[0];
    CHECK(m["mail_from"] == "notify@example.com");
    CHECK(m["rcpt_tos"] == nlohmann::json({"ops@example.com", "dev@example.org"}));
    CHECK(header(m, "From") == "notify@example.com");
    CHECK(header(m, "To") == "ops@example.com, dev@example.org");
    CHECK(header(m, "Subject") == "Repo zoo: repo.sync.finish \xE2\x9C\x93");
    CHECK(header(m, "Message-ID") == "<" + status[0].delivery_id + "@example.com>");
    CHECK(header(m, "X-Notify-Event-Type") == "repo.sync.finish");
    CHECK(header(m, "X-Notify-Delivery-Id") == status[0].delivery_id);
    CHECK(header(m, "MIME-Version") == "1.0");
    CHECK(std::regex_match(header(m, "Date"), std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000)")));
    CHECK(m["content_type"] == "text/plain");
    CHECK(m["charset"] == "utf-8");

    // On the wire: the non-ASCII subject is RFC 2047 encoded, every line ends in CRLF and
    // stays within 78 bytes.
    const std::string raw = m["raw"];
    CHECK(raw.find("\r\nSubject: =?UTF-8?B?") != std::string::npos);
    std::size_t start = 0;
    while (start < raw.size()) {
        const auto end = raw.find('\n', start);
        REQUIRE(end != std::string::npos);
        INFO("line: " << raw.substr(start, end - start));
        CHECK(end > start);
        CHECK(raw[end - 1] == '\r');
        CHECK(end - start - 1 <= 78);
        start = end + 1;
    }

    // The text as a reader sees it (the parser keeps the CRLF line ends).
    const std::string body = std::regex_replace(m["body"].get<std::string>(), std::regex("\r\n"), "\n");
    CHECK(body.rfind("Event repo.sync.finish happened at " + core::format_rfc3339(event.time()) + ".\n", 0) == 0);
    CHECK(body.find("Source:      pulp.test\n") != std::string::npos);
    CHECK(body.find("Listener:    " + id + "\n") != std::string::npos);
    const auto json = json_in_body(body);
    CHECK(json["specversion"] == "1.0");
    CHECK(json["type"] == "repo.sync.finish");
    CHECK(json["id"] == event.id());
    CHECK(json["data"] == event.data());
}

TEST_CASE("the data and pulp formats show the event as their consumers know it", "[email][smtp]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    n.add_listener(mail_listener("{type}", {"ops@example.com"}, "data"));
    n.add_listener(mail_listener("{type}", {"dev@example.com"}, "pulp"));
    n.start();
    const auto event = repo_event({{"repo_id", "zoo"}, {"units", 3}});
    for (const auto& s : n.fire_and_flush(event)) CHECK(s.state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 2);
    for (const auto& m : mails) {
        const auto json = json_in_body(m["body"]);
        if (m["rcpt_tos"][0] == "ops@example.com") {
            CHECK(json == event.data());
        } else {
            CHECK(json == nlohmann::json({{"event_type", "repo.sync.finish"}, {"payload", event.data()}, {"call_report", nullptr}}));
        }
    }
}

TEST_CASE("event data cannot end the message early, add headers or break line limits", "[email][smtp]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    n.add_listener(mail_listener("{data.title}", {"ops@example.com"}));
    n.start();
    const std::string long_line(5000, 'x');
    const nlohmann::json data = {
        {"title", "hi\r\nBcc: victim@example.net\r\n.\r\nQUIT"},
        {"lone_dot", "a\n.\nb\r\n.\r\nc"},
        {"bare_lf", "one\ntwo\rthree"},
        {"long", long_line},
        {"unicode", "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC"},
    };
    const auto status = n.fire_and_flush(repo_event(data));
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    const auto& m = mails[0];
    CHECK(m["rcpt_tos"] == nlohmann::json({"ops@example.com"}));
    CHECK(header(m, "Bcc").empty());
    // The control characters became spaces: one line, nothing injected.
    CHECK(header(m, "Subject") == "hi  Bcc: victim@example.net  .  QUIT");
    CHECK(json_in_body(m["body"])["data"] == data);
    const std::string raw = m["raw"];
    CHECK(raw.find("\r\nBcc:") == std::string::npos);
    CHECK(raw.find("\r\n.\r\n") == std::string::npos);
}

TEST_CASE("addresses and subjects that could inject headers are refused at creation", "[email][validation]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    const auto refused = [&](const core::Listener& l, const std::string& expected) {
        INFO(expected);
        CHECK_THROWS_WITH(n.add_listener(l), Catch::Contains(expected));
    };
    refused(mail_listener("x", {"ops@example.com\r\nBcc: victim@example.net"}), "control character");
    refused(mail_listener("x", {"ops@example.com>"}), "is not a valid address");
    refused(mail_listener("x", {"<ops@example.com>"}), "is not a valid address");
    refused(mail_listener("x", {"Ops Team <ops@example.com>"}), "is not a valid address");
    refused(mail_listener("x", {"op\xC3\xA9@example.com"}), "only ASCII addresses");
    refused(mail_listener("x", {"ops@-example.com"}), "host name");
    refused(mail_listener("x", "ops@example.com,"), "it is empty");
    refused(mail_listener("x", nlohmann::json::array()), "needs addresses");
    refused(mail_listener("Hi\r\nBcc: victim@example.net", {"ops@example.com"}), "could forge mail headers");
    refused(mail_listener("{tpye} done", {"ops@example.com"}), "unknown placeholder {tpye}; did you mean {type}?");
    refused(mail_listener("{type", {"ops@example.com"}), "a '{' without its '}'");
    refused(mail_listener("", {"ops@example.com"}), "needs a subject");
    auto extra = mail_listener("x", {"ops@example.com"});
    extra.settings["cc"] = "boss@example.com";
    refused(extra, "unknown setting 'cc'");
    CHECK(core::ListenerStore(n.options.store.path).list().empty());

    // A comma-separated text is a list; repeats are dropped.
    const auto id = n.add_listener(mail_listener("{{literal}} {type}", "ops@example.com, dev@example.com,OPS@example.com"));
    CHECK(core::ListenerStore(n.options.store.path).get(id).settings["addresses"] ==
          nlohmann::json({"ops@example.com", "dev@example.com"}));
}

TEST_CASE("email listeners are refused while [email] is not enabled", "[email][validation]") {
    auto n = email_notifier(config::parse("", "test.conf", config::Environment{}, test::schema_with(handlers::email::make_factory())).section("email").to_json());
    CHECK_THROWS_WITH(n.add_listener(mail_listener("x", {"ops@example.com"})),
                      Catch::Contains("email listeners are disabled: set enabled = true in the [email] section"));
    CHECK(core::ListenerStore(n.options.store.path).list().empty());
}

TEST_CASE("a listener edited in the store is checked again before sending", "[email][validation]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    const auto id = n.add_listener(mail_listener("x", {"ops@example.com"}));
    {
        core::ListenerStore store(n.options.store.path);
        auto l = store.get(id);
        l.settings["addresses"] = {"ops@example.com\r\nDATA"};
        store.update(l);
    }
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::dead);
    CHECK_THAT(status[0].last_error, Catch::Contains("control character"));
    CHECK(smtp.mails().empty());
}

TEST_CASE("a server answering 451 then 250: delivered after a retry", "[email][smtp][retry]") {
    MailServer smtp({"--fail-data", "1"});
    auto n = email_notifier(smtp.section());
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::delivered);
    const auto stats = n.notifier->stats();
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].retried == 1);
    CHECK(stats[0].delivered == 1);
    CHECK(smtp.mails().size() == 1);
}

TEST_CASE("control characters in a server's reply reach no log line and no status: they are escaped",
          "[email][smtp][security]") {
    // CR would start a forged log line, ESC moves the cursor or recolours a terminal, BEL rings.
    MailServer smtp({"--fail-data", "1", "--fail-text", "4.3.0 busy\r\x1b[2Knotify: error: forged\x07"});
    std::vector<std::string> logged;
    std::mutex mutex;
    auto n = email_notifier(smtp.section(), quick_retries(1));
    n.options.log = [&](core::LogLevel, std::string_view message) {
        std::lock_guard lock(mutex);
        logged.emplace_back(message);
    };
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    const auto& error = status[0].last_error;
    INFO(error);
    CHECK_THAT(error, Catch::Contains("451 4.3.0 busy\\x0d\\x1b[2Knotify: error: forged\\x07"));
    std::lock_guard lock(mutex);
    for (const auto& text : std::vector<std::string>{error, n.notifier->dead_letters().at(0).last_error}) {
        CHECK_FALSE(core::has_control_chars(text));
    }
    for (const auto& line : logged) CHECK_FALSE(core::has_control_chars(line));
}

TEST_CASE("refused recipients: the others get the mail and the refusal is reported", "[email][smtp]") {
    MailServer smtp({"--refuse", "gone@example.com", "--defer", "busy@example.com"});
    auto n = email_notifier(smtp.section(), quick_retries(1));
    n.add_listener(mail_listener("x", {"ops@example.com", "gone@example.com", "busy@example.com"}));
    n.add_listener(listener("email", {"org_unit.#"}, {{"subject", "x"}, {"addresses", {"gone@example.com"}}}));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::delivered);
    auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    CHECK(mails[0]["rcpt_tos"] == nlohmann::json({"ops@example.com"}));
    bool reported = false;
    for (const auto& line : n.log->snapshot()) {
        if (line.find("refused gone@example.com: 550 5.1.1") != std::string::npos &&
            line.find("busy@example.com: 450 4.2.1") != std::string::npos) {
            reported = true;
        }
    }
    CHECK(reported);

    // Every recipient refused with 5xx: a permanent failure naming the server's answer.
    const auto only_refused = n.fire_and_flush(core::Event("org_unit.it.create", {{"uuid", "u"}}));
    REQUIRE(only_refused.size() == 1);
    CHECK(only_refused[0].state == State::dead);
    CHECK_THAT(only_refused[0].last_error, Catch::Contains("550 5.1.1"));
    CHECK(smtp.mails().size() == 1);
}

TEST_CASE("STARTTLS with a CA made for the test, and AUTH inside it", "[email][smtp][tls]") {
    MailServer smtp({"--starttls", cert("server.pem"), cert("server.key"), "--auth", "mailer:s3cret-pw"});
    auto n = email_notifier(smtp.section("tls = starttls\nca_file = " + cert("ca.pem") + "\nusername = mailer\npassword = s3cret-pw\n",
                                         "localhost"));
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    CHECK(mails[0]["tls"] == true);
    CHECK(mails[0]["auth"] == "mailer");
    for (const auto& line : n.log->snapshot()) CHECK(line.find("s3cret-pw") == std::string::npos);
}

TEST_CASE("implicit TLS (tls = ssl)", "[email][smtp][tls]") {
    MailServer smtp({"--implicit-tls", cert("server.pem"), cert("server.key")});
    auto n = email_notifier(smtp.section("tls = ssl\nca_file = " + cert("ca.pem") + "\n", "localhost"));
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    CHECK(n.fire_and_flush(repo_event())[0].state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    CHECK(mails[0]["tls"] == true);
}

TEST_CASE("TLS failures never fall back to plain text", "[email][smtp][tls]") {
    SECTION("the server offers no STARTTLS") {
        MailServer smtp;
        auto n = email_notifier(smtp.section("tls = starttls\n"), quick_retries(2));
        n.add_listener(mail_listener("x", {"ops@example.com"}));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK(status[0].attempts == 2);
        CHECK_THAT(status[0].last_error, Catch::Contains("SSL") || Catch::Contains("TLS"));
        CHECK(smtp.mails().empty());
    }
    SECTION("a certificate from another CA") {
        MailServer smtp({"--starttls", cert("server.pem"), cert("server.key")});
        auto n = email_notifier(smtp.section("tls = starttls\nca_file = " + cert("other-ca.pem") + "\n", "localhost"),
                                quick_retries(1));
        n.add_listener(mail_listener("x", {"ops@example.com"}));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK_THAT(status[0].last_error, Catch::Contains("certificate"));
        CHECK(smtp.mails().empty());
    }
    SECTION("a certificate for another host name") {
        MailServer smtp({"--starttls", cert("wrong-host.pem"), cert("wrong-host.key")});
        auto n = email_notifier(smtp.section("tls = starttls\nca_file = " + cert("ca.pem") + "\n", "localhost"),
                                quick_retries(1));
        n.add_listener(mail_listener("x", {"ops@example.com"}));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK_THAT(status[0].last_error, Catch::Contains("localhost"));
        CHECK(smtp.mails().empty());
    }
}

TEST_CASE("a server that never answers: the attempt times out and is retried", "[email][smtp][retry]") {
    MailServer smtp({"--hang"});
    auto n = email_notifier(smtp.section("tls = none\ntimeout = 1s\n"), quick_retries(2));
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    const auto started = std::chrono::steady_clock::now();
    const auto status = n.fire_and_flush(repo_event());
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    CHECK(status[0].state == State::dead);
    CHECK(status[0].attempts == 2);
    CHECK_THAT(status[0].last_error, Catch::Contains("imeout"));
}

TEST_CASE("stopping ends a mail its server never answers, and the delivery stays pending", "[email][smtp][retry]") {
    MailServer smtp({"--hang"});
    auto n = email_notifier(smtp.section("tls = none\n"));  // the default 60 s timeout
    n.add_listener(mail_listener("x", {"ops@example.com"}));
    n.start();
    const auto receipt = n.notifier->fire(repo_event());
    std::this_thread::sleep_for(500ms);  // connected, waiting for a greeting that never comes
    const auto [took, pending] = n.stop(std::chrono::steady_clock::now() + 200ms);
    CHECK(took < 3s);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].delivery_id == receipt.deliveries.at(0).delivery_id);
    CHECK_THAT(pending[0].last_error, Catch::Contains("notify is stopping"));
    CHECK(smtp.mails().empty());
}

TEST_CASE("[email] settings are checked", "[email][validation]") {
    const auto section = [](const std::string& conf) {
        return config::parse("[email]\nenabled = true\n" + conf, "test.conf", config::Environment{}, test::schema_with(handlers::email::make_factory())).section("email").to_json();
    };
    const auto refused = [&](const std::string& conf, const std::string& expected) {
        INFO(conf);
        auto n = email_notifier(section(conf));
        CHECK_THROWS_WITH(n.add_listener(mail_listener("x", {"ops@example.com"})), Catch::Contains(expected));
    };
    refused("from = Notify <notify@example.com>\n", "[email] from");
    refused("host = smtp.example.com\ntls = none\nusername = u\npassword = secret-pw\n", "in clear text to smtp.example.com");
    refused("ca_file = /nonexistent/ca.pem\n", "does not exist");
    refused("password = secret-pw\n", "username is empty");
}

TEST_CASE("a digest listener mails the events of its window as one message: a line per type, a row per event",
          "[email][smtp][digest]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    auto l = mail_listener("{type}", {"ops@example.com"});
    l.digest = 1s;
    const auto id = n.add_listener(l);
    n.start();
    std::vector<core::FireReceipt> receipts;
    std::vector<core::Event> events;
    for (int i = 0; i < 5; ++i) {
        events.emplace_back(i < 3 ? "repo.sync.finish" : "repo.publish.finish",
                            nlohmann::json{{"repo_id", "repo-" + std::to_string(i)}}, "pulp.test");
        receipts.push_back(n.notifier->fire(events.back()));
    }
    CHECK(smtp.mails().empty());  // the window is open for a second
    n.notifier->flush(std::chrono::steady_clock::now() + 30s);
    for (const auto& r : receipts) CHECK(n.notifier->status(r).at(0).state == State::delivered);

    const auto mails = smtp.mails();
    for (const auto& mail : mails) UNSCOPED_INFO(header(mail, "Subject"));
    REQUIRE(mails.size() == 1);
    const auto& m = mails[0];
    CHECK(header(m, "Subject") == "Digest: 5 events (repo.sync.finish 3, repo.publish.finish 2)");
    CHECK(header(m, "X-Notify-Digest-Events") == "5");
    const auto first = n.notifier->status(receipts[0]).at(0).delivery_id;
    CHECK(header(m, "X-Notify-Delivery-Id") == first);
    std::string message_id = "<digest-";
    message_id.append(first).append("@example.com>");
    CHECK(header(m, "Message-ID") == message_id);
    const std::string body = std::regex_replace(m["body"].get<std::string>(), std::regex("\r\n"), "\n");
    INFO(body);
    CHECK(body.rfind("5 events from " + core::format_rfc3339(events[0].time()) + " to " +
                         core::format_rfc3339(events[4].time()) + " (listener " + id + ").\n\n3      repo.sync.finish\n"
                         "2      repo.publish.finish\n",
                     0) == 0);
    // One row per event, in fire order, with its id and data.
    std::size_t at = body.find("TIME");
    REQUIRE(at != std::string::npos);
    for (const auto& e : events) {
        const auto row = body.find(e.id(), at);
        REQUIRE(row != std::string::npos);
        const auto line_end = body.find('\n', row);
        CHECK(body.substr(row, line_end - row).find(R"({"repo_id":")" + e.data()["repo_id"].get<std::string>() + "\"}") !=
              std::string::npos);
        at = row;
    }
}

TEST_CASE("past --max-mails-per-hour, events wait in the outbox instead of becoming mails", "[email][smtp][digest]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    auto l = mail_listener("{type} {data.repo_id}", {"ops@example.com"});
    l.max_mails_per_hour = 2;
    n.add_listener(l);
    n.start();
    for (const char* repo : {"r0", "r1", "r2", "r3", "r4"}) n.notifier->fire(repo_event({{"repo_id", repo}}));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (smtp.mails().size() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(500ms);  // time for a third mail, were one to go
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 2);
    // The first two fired, each its own mail (two workers: either may arrive first).
    std::set<std::string> subjects{header(mails[0], "Subject"), header(mails[1], "Subject")};
    CHECK(subjects == std::set<std::string>{"repo.sync.finish r0", "repo.sync.finish r1"});
    // The other three wait for the hour's first free slot, kept in the store.
    const auto [took, left] = n.stop(std::chrono::steady_clock::now() + 5s);
    REQUIRE(left.size() == 3);
    for (const auto& record : left) CHECK(record.attempts == 0);
}

TEST_CASE("a transform's output is the mail's JSON", "[email][smtp][transform]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    auto l = mail_listener("{type}", {"ops@example.com"});
    l.transform = R"({repo: .data.repo_id, kind: .type})";
    n.add_listener(l);
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.at(0).state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    const std::string body = mails[0]["body"];
    CHECK(body.find("as the listener's transform gives it") != std::string::npos);
    CHECK(json_in_body(body) == nlohmann::json{{"repo", "zoo"}, {"kind", "repo.sync.finish"}});
}

TEST_CASE("a test of a digest listener goes at once, not after its window", "[email][smtp][digest]") {
    MailServer smtp;
    auto n = email_notifier(smtp.section());
    auto l = mail_listener("{type}", {"ops@example.com"});
    l.digest = 1h;
    const auto id = n.add_listener(l);
    n.start();
    const auto receipt = n.notifier->fire_to(core::Event("notify.test", {{"listener_id", id}}, "notify-cli"), id);
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 30s));
    CHECK(n.notifier->status(receipt).at(0).state == State::delivered);
    const auto mails = smtp.mails();
    REQUIRE(mails.size() == 1);
    CHECK(header(mails[0], "Subject") == "notify.test");
}
