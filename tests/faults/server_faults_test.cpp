// Faults of the real SMTP server (aiosmtpd) and HTTP server (http.server) the cases start on
// loopback: down, refusing for a while, silent. What counts as delivered is what the
// server accepted (a saved mail, a request answered 2xx), by X-Notify-Delivery-Id.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "fault_table.hpp"
#include "firer.hpp"
#include "handler_notifier.hpp"
#include "mail_server.hpp"
#include "notify/config/loader.hpp"
#include "notify/core/notifier.hpp"
#include "notify/handlers/email/email.hpp"
#include "notify/handlers/http/http.hpp"
#include "serve_kills.hpp"
#include "web_server.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A loopback port nothing listens on now.
int free_port() {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t length = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &length);
    close(s);
    return ntohs(a.sin_port);
}

nlohmann::json section(const std::string& name, const std::string& lines) {
    auto schema = config::Schema::builtin();
    schema.add_section(handlers::email::make_factory()->section_spec());
    schema.add_section(handlers::http::make_factory()->section_spec());
    return config::parse("[" + name + "]\n" + lines, "test.conf", config::Environment{}, schema).section(name).to_json();
}

// One email listener (one address) on 127.0.0.1:port, short timeouts, retries that never end.
std::unique_ptr<HandlerNotifier> mail_notifier(int port) {
    auto n = std::make_unique<HandlerNotifier>(
        [](core::HandlerRegistry& r) { handlers::email::register_handler(r); },
        std::map<std::string, nlohmann::json, std::less<>>{
            {"email", section("email", "enabled = true\nhost = 127.0.0.1\ntls = none\nport = " + std::to_string(port) +
                                           "\nfrom = notify@example.com\nconnect_timeout = 2s\ntimeout = 2s\n")}},
        quick_retries(0));
    n->add_listener(listener("email", {"repo.#"}, {{"subject", "{type}"}, {"addresses", {"ops@example.com"}}}));
    n->start();
    return n;
}

std::unique_ptr<HandlerNotifier> web_notifier(const std::string& url) {
    auto n = std::make_unique<HandlerNotifier>([](core::HandlerRegistry& r) { handlers::http::register_handler(r); },
                                               std::map<std::string, nlohmann::json, std::less<>>{
                                                   {"http", section("http", "connect_timeout = 2s\ntimeout = 2s\n")}},
                                               quick_retries(0));
    n->add_listener(listener("http", {"repo.#"}, {{"url", url}}));
    n->start();
    return n;
}

Clock::duration settle(const HandlerNotifier& n, Clock::time_point from = Clock::now()) {
    REQUIRE(n.notifier->flush(Clock::now() + 120s));
    CHECK(n.notifier->stats().at(0).dead == 0);
    return Clock::now() - from;
}

std::vector<std::string> mailed_ids(const MailServer& smtp) {
    std::vector<std::string> ids;
    for (const auto& m : smtp.mails()) ids.push_back(header(m, "X-Notify-Delivery-Id"));
    return ids;
}

std::string repeat(const std::string& answer, int times, const std::string& then) {
    std::string list;
    for (int i = 0; i < times; ++i) list += answer + ",";
    return list + then;
}

}  // namespace

TEST_CASE("the SMTP server is down, then comes up", "[faults][email]") {
    const int port = free_port();
    auto n = mail_notifier(port);
    const auto fired = fire_burst(*n->notifier, 50);
    std::this_thread::sleep_for(3s);
    CHECK(n->notifier->stats().at(0).retried >= 50);  // every delivery met the closed port
    MailServer smtp({"--port", std::to_string(port)});
    const auto recovery = settle(*n);
    record(tally("email", "SMTP server down for 3 s", fired, mailed_ids(smtp), 0, recovery));
}

TEST_CASE("the SMTP server answers 421, then 451, for a while", "[faults][email]") {
    for (const std::string code : {"421", "451"}) {
        MailServer smtp({"--fail-data", "60", "--fail-code", code});
        auto n = mail_notifier(smtp.server.port());
        const auto fired = fire_burst(*n->notifier, 30);
        const auto recovery = settle(*n);
        CHECK(n->notifier->stats().at(0).retried >= 60);
        record(tally("email", "SMTP answers " + code + " to the first 60 mails", fired, mailed_ids(smtp), 0, recovery));
    }
}

TEST_CASE("the SMTP server accepts connections and never answers, for a while", "[faults][email]") {
    MailServer smtp({"--hang-for", "5"});
    auto n = mail_notifier(smtp.server.port());
    const auto fired = fire_burst(*n->notifier, 20);
    std::this_thread::sleep_for(5s);
    CHECK(n->notifier->stats().at(0).retried >= 2);  // attempts timed out after 2 s
    const auto recovery = settle(*n);
    record(tally("email", "SMTP silent for 5 s (timeouts)", fired, mailed_ids(smtp), 0, recovery));
}

TEST_CASE("the webhook receiver hangs, for a while", "[faults][http]") {
    WebServer web({"--hang-for", "5"});
    auto n = web_notifier(web.url());
    const auto fired = fire_burst(*n->notifier, 20);
    std::this_thread::sleep_for(5s);
    CHECK(n->notifier->stats().at(0).retried >= 2);
    const auto recovery = settle(*n);
    record(tally("http", "receiver hangs for 5 s (timeouts)", fired, web.accepted_delivery_ids(), 0, recovery));
}

TEST_CASE("the webhook receiver answers 429 with Retry-After", "[faults][http]") {
    WebServer web({"--answers", repeat("429:1", 20, "200")});
    auto n = web_notifier(web.url());
    const auto fired = fire_burst(*n->notifier, 20);
    const auto recovery = settle(*n);
    record(tally("http", "receiver answers 429 + Retry-After: 1 (20x)", fired, web.accepted_delivery_ids(), 0, recovery));
    // No delivery came back sooner than the second the receiver asked for.
    std::map<std::string, std::vector<double>> times;
    for (const auto& r : web.requests()) {
        for (const auto& h : r.at("headers")) {
            if (h.at(0) == "X-Notify-Delivery-Id") times[h.at(1).get<std::string>()].push_back(r.at("time").get<double>());
        }
    }
    for (const auto& [id, t] : times) {
        for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] >= 0.95);
    }
}

TEST_CASE("the webhook receiver answers 500, for a while", "[faults][http]") {
    WebServer web({"--answers", repeat("500", 60, "200")});
    auto n = web_notifier(web.url());
    const auto fired = fire_burst(*n->notifier, 30);
    const auto recovery = settle(*n);
    CHECK(n->notifier->stats().at(0).retried == 60);
    record(tally("http", "receiver answers 500 to the first 60 requests", fired, web.accepted_delivery_ids(), 0, recovery));
}

TEST_CASE("notify serve killed with SIGKILL mid-digest, then restarted", "[faults][email][digest]") {
    MailServer smtp;
    // The host stores events and leaves delivery to notify serve; its listener collects a
    // second's events into one mail.
    auto host = std::make_unique<HandlerNotifier>(
        [](core::HandlerRegistry& r) { handlers::email::register_handler(r); },
        std::map<std::string, nlohmann::json, std::less<>>{{"email", smtp.section()}}, quick_retries(0));
    host->options.dispatch = false;
    auto digest = listener("email", {"repo.#"}, {{"subject", "{type}"}, {"addresses", {"ops@example.com"}}});
    digest.digest = 1s;
    const std::string listener_id = host->add_listener(digest);
    host->start();
    const std::string conf = (host->dir / "server.conf").string();
    write_private(conf, "[store]\npath = " + host->options.store.path.string() +
                            "\n[email]\nenabled = true\nhost = 127.0.0.1\ntls = none\nport = " +
                            std::to_string(smtp.server.port()) +
                            "\nfrom = notify@example.com\ntimeout = 5s\n[delivery]\nbackoff_initial = 100ms\n"
                            "backoff_max = 1s\nmax_attempts = 0\n");
    const std::vector<std::string> env{"NOTIFY_CONFIG=" + conf};

    const int kills = 3;
    Firer firer(*host->notifier, 20ms);
    kill_serve_repeatedly(env, kills, 700, 2500);
    const auto& fired = firer.stop();
    const auto recovery = serve_until_flushed(env, *host);

    // What the mails list: each digest's rows (by event id), each single mail's delivery id.
    std::vector<std::string> received;
    std::size_t digests = 0;
    const std::regex event_id("  ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})  ");
    for (const auto& m : smtp.mails()) {
        if (header(m, "X-Notify-Digest-Events").empty()) {
            received.push_back(header(m, "X-Notify-Delivery-Id"));
            continue;
        }
        ++digests;
        const std::string body = m["body"];
        std::size_t rows = 0;
        for (std::sregex_iterator it(body.begin(), body.end(), event_id), end; it != end; ++it, ++rows) {
            received.push_back(core::delivery_id((*it)[1].str(), listener_id));
        }
        CHECK(std::to_string(rows) == header(m, "X-Notify-Digest-Events"));
    }
    CHECK(digests > 0);
    CHECK(smtp.mails().size() < fired.size() / 5);  // digests, not a mail per event
    // Per kill: a digest sent and not yet recorded, a window's events (50 a second here,
    // twice over for the time its mail takes).
    record(tally("email", std::to_string(kills) + "x SIGKILL of notify serve mid-digest (1s windows), restarted",
                 fired, received, kills * 100, recovery));
}
