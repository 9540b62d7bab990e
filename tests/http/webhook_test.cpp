// The http handler against a real HTTP server (http.server) on loopback.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <thread>

#include "handler_notifier.hpp"
#include "handler_schema.hpp"
#include "notify/config/loader.hpp"
#include "notify/core/error.hpp"
#include "notify/handlers/http/http.hpp"
#include "test_certs.hpp"
#include "web_server.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using State = core::DeliveryStatus::State;

namespace {

std::string header(const nlohmann::json& request, const std::string& name) {
    for (const auto& h : request.at("headers")) {
        if (h.at(0).get<std::string>() == name) return h.at(1).get<std::string>();
    }
    return {};
}

HandlerNotifier http_notifier(const std::string& conf = "", core::RetryPolicy retry = quick_retries()) {
    const auto section = config::parse("[http]\n" + conf, "test.conf", config::Environment{}, test::schema_with(handlers::http::make_factory())).section("http").to_json();
    return HandlerNotifier([](core::HandlerRegistry& r) { handlers::http::register_handler(r); }, {{"http", section}}, retry);
}

core::Listener hook(const std::string& url, nlohmann::json extra = nlohmann::json::object(),
                    const std::string& format = "cloudevents") {
    extra["url"] = url;
    return listener("http", {"repo.#", "employee.#"}, std::move(extra), format);
}

// The URL of `server` with another name for its host.
std::string web_url_with_host(const WebServer& server, const std::string& host) {
    return server.url("/elsewhere", "http", host);
}

core::Event repo_event() { return core::Event("repo.publish.finish", {{"repo_id", "zoo"}, {"units", 3}}, "pulp.test"); }

}  // namespace

TEST_CASE("a POST carries the formatted body and notify's headers, for each format", "[http]") {
    WebServer web;
    auto n = http_notifier();
    const auto ce = n.add_listener(hook(web.url("/ce")));
    const auto data = n.add_listener(hook(web.url("/data"), {}, "data"));
    const auto pulp = n.add_listener(hook(web.url("/pulp"), {}, "pulp"));
    n.start();
    const auto event = repo_event();
    const auto status = n.fire_and_flush(event);
    REQUIRE(status.size() == 3);
    std::map<std::string, std::string> delivery_of;
    for (const auto& s : status) {
        CHECK(s.state == State::delivered);
        delivery_of[s.listener_id] = s.delivery_id;
    }
    const auto requests = web.requests();
    REQUIRE(requests.size() == 3);
    for (const auto& r : requests) {
        INFO(r.dump());
        CHECK(r["method"] == "POST");
        CHECK(header(r, "X-Notify-Event-Type") == "repo.publish.finish");
        CHECK(header(r, "X-Notify-Signature").empty());
        const auto body = nlohmann::json::parse(r["body"].get<std::string>());
        if (r["path"] == "/ce") {
            CHECK(header(r, "Content-Type") == "application/cloudevents+json");
            CHECK(header(r, "X-Notify-Delivery-Id") == delivery_of[ce]);
            CHECK(body["specversion"] == "1.0");
            CHECK(body["id"] == event.id());
            CHECK(body["source"] == "pulp.test");
            CHECK(body["data"] == event.data());
        } else if (r["path"] == "/data") {
            CHECK(header(r, "Content-Type") == "application/json");
            CHECK(header(r, "X-Notify-Delivery-Id") == delivery_of[data]);
            CHECK(body == event.data());
        } else {
            CHECK(r["path"] == "/pulp");
            CHECK(header(r, "X-Notify-Delivery-Id") == delivery_of[pulp]);
            CHECK(body == nlohmann::json({{"event_type", "repo.publish.finish"}, {"payload", event.data()}, {"call_report", nullptr}}));
        }
    }
}

TEST_CASE("a signed request verifies with the receiver's own check", "[http][signature]") {
    const std::string secret = "whsec-2f9c1e7a";
    WebServer web({"--secret", secret});
    auto n = http_notifier();
    n.add_listener(hook(web.url(), {{"secret", secret}}));
    n.start();
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    CHECK(n.fire_and_flush(repo_event())[0].state == State::delivered);
    const auto requests = web.requests();
    REQUIRE(requests.size() == 1);
    const auto& r = requests[0];
    CHECK(r["signature_valid"] == true);
    CHECK(std::regex_match(header(r, "X-Notify-Signature"), std::regex("sha256=[0-9a-f]{64}")));
    const auto timestamp = std::stoll(header(r, "X-Notify-Timestamp"));
    CHECK(timestamp >= before.count());
    CHECK(timestamp <= before.count() + 30);
    // Known answer, from: printf '%s' '1795000000.{"a":1}' | openssl dgst -sha256 -hmac whsec-test
    CHECK(handlers::http::signature("whsec-test", "1795000000", R"({"a":1})") ==
          "sha256=0156708aaf8b565d38436a4f55e4b264341b8caa1fed1a375d92868a5d220c09");
}

TEST_CASE("basic auth and extra headers are sent, and masked wherever the listener is shown", "[http][secrets]") {
    WebServer web;
    auto n = http_notifier();
    const auto id = n.add_listener(hook(web.url(), {{"username", "hooks"}, {"password", "pa55-w0rd"},
                                                    {"secret", "sig-secret"}, {"headers", {{"X-Api-Key", "key-123"}}}}));
    n.start();
    CHECK(n.fire_and_flush(repo_event())[0].state == State::delivered);
    const auto requests = web.requests();
    REQUIRE(requests.size() == 1);
    CHECK(header(requests[0], "Authorization") == "Basic aG9va3M6cGE1NS13MHJk");  // hooks:pa55-w0rd
    CHECK(header(requests[0], "X-Api-Key") == "key-123");
    const std::string shown = core::to_json(n.notifier->listeners().get(id)).dump();
    CHECK(shown.find("pa55-w0rd") == std::string::npos);
    CHECK(shown.find("sig-secret") == std::string::npos);
    CHECK(shown.find("key-123") == std::string::npos);
    CHECK(shown.find("\"username\":\"hooks\"") != std::string::npos);
    CHECK(shown.find("\"X-Api-Key\":\"********\"") != std::string::npos);
}

TEST_CASE("503 then 200: retried, then delivered", "[http][retry]") {
    WebServer web({"--answers", "503,200"});
    auto n = http_notifier();
    n.add_listener(hook(web.url()));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    CHECK(status[0].state == State::delivered);
    CHECK(n.notifier->stats().at(0).retried == 1);
    const auto requests = web.requests();
    REQUIRE(requests.size() == 2);
    CHECK(header(requests[0], "X-Notify-Delivery-Id") == header(requests[1], "X-Notify-Delivery-Id"));
}

TEST_CASE("404: a permanent failure with the status and the start of the answer", "[http]") {
    WebServer web({"--answers", "404"});
    auto n = http_notifier();
    n.add_listener(hook(web.url()));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    CHECK(status[0].state == State::dead);
    CHECK(status[0].attempts == 1);
    CHECK_THAT(status[0].last_error, Catch::Contains("HTTP 404") && Catch::Contains("answer 404"));
    CHECK(web.requests().size() == 1);
}

TEST_CASE("429 with Retry-After: the next attempt waits as long as the server asked", "[http][retry]") {
    WebServer web({"--answers", "429:2,200"});
    auto n = http_notifier();  // backoff alone would retry after 100 ms
    n.add_listener(hook(web.url()));
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    CHECK(status[0].state == State::delivered);
    const auto requests = web.requests();
    REQUIRE(requests.size() == 2);
    const double waited = requests[1]["time"].get<double>() - requests[0]["time"].get<double>();
    CHECK(waited >= 1.9);
    CHECK(waited < 5.0);
}

TEST_CASE("a receiver that never answers: the attempt times out and is retried", "[http][retry]") {
    WebServer web({"--hang"});
    auto n = http_notifier("timeout = 1s\n", quick_retries(2));
    n.add_listener(hook(web.url()));
    n.start();
    const auto started = std::chrono::steady_clock::now();
    const auto status = n.fire_and_flush(repo_event());
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    CHECK(status[0].state == State::dead);
    CHECK(status[0].attempts == 2);
    CHECK_THAT(status[0].last_error, Catch::Contains("imeout"));
    CHECK(web.requests().size() == 2);
}

TEST_CASE("stopping ends a request its receiver never answers, and the delivery stays pending", "[http][retry]") {
    WebServer web({"--hang"});
    auto n = http_notifier();  // the default 30 s timeout
    n.add_listener(hook(web.url()));
    n.start();
    const auto receipt = n.notifier->fire(repo_event());
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (web.requests().empty() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    REQUIRE(web.requests().size() == 1);
    const auto [took, pending] = n.stop(std::chrono::steady_clock::now() + 200ms);
    CHECK(took < 3s);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].delivery_id == receipt.deliveries.at(0).delivery_id);
    CHECK_THAT(pending[0].last_error, Catch::Contains("notify is stopping"));
}

TEST_CASE("redirects: followed as POST to http(s), at most 3", "[http][redirect]") {
    SECTION("a 307 and a 302 keep the POST and its body") {
        WebServer web({"--answers", "307:/moved,302:/final,200"});
        auto n = http_notifier();
        n.add_listener(hook(web.url()));
        n.start();
        CHECK(n.fire_and_flush(repo_event())[0].state == State::delivered);
        const auto requests = web.requests();
        REQUIRE(requests.size() == 3);
        CHECK(requests[2]["path"] == "/final");
        CHECK(requests[2]["method"] == "POST");
        CHECK(requests[2]["body"] == requests[0]["body"]);
    }
    SECTION("more than 3 redirects is a permanent failure") {
        WebServer web({"--answers", "307:/again"});
        auto n = http_notifier();
        n.add_listener(hook(web.url()));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK_THAT(status[0].last_error, Catch::Contains("redirects"));
        CHECK(web.requests().size() == 4);
    }
    SECTION("a redirect to another scheme is not followed") {
        WebServer web({"--answers", "307:file:///etc/passwd"});
        auto n = http_notifier();
        n.add_listener(hook(web.url()));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK(web.requests().size() == 1);
    }
}

TEST_CASE("a redirect to another origin is a failed delivery naming it: secret headers never reach that origin",
          "[http][redirect]") {
    WebServer other;
    SECTION("another port") {
        WebServer web({"--answers", "307:" + other.url("/elsewhere")});
        auto n = http_notifier();
        n.add_listener(hook(web.url(), {{"headers", {{"X-Api-Key", "k-789"}}}, {"secret", "sig-123"}}));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        INFO(status[0].last_error);
        CHECK_THAT(status[0].last_error, Catch::Contains("HTTP 307 redirect to '" + other.url("/elsewhere") + "' not followed"));
        CHECK_THAT(status[0].last_error, Catch::Contains("only to the same scheme, host and port"));
        CHECK(web.requests().size() == 1);
        CHECK(other.requests().empty());
    }
    SECTION("another host name for the same address") {
        WebServer web({"--answers", "302:" + web_url_with_host(other, "localhost")});
        auto n = http_notifier();
        n.add_listener(hook(web.url(), {{"headers", {{"X-Api-Key", "k-789"}}}}));
        n.start();
        CHECK(n.fire_and_flush(repo_event())[0].state == State::dead);
        CHECK(other.requests().empty());
    }
    SECTION("from https down to http") {
        WebServer tls({"--tls", cert("server.pem"), cert("server.key"), "--answers",
                       "308:" + other.url("/plain", "http", "localhost")});
        auto n = http_notifier("ca_file = " + cert("ca.pem") + "\n");
        n.add_listener(hook(tls.url("/hook", "https", "localhost"), {{"headers", {{"Authorization", "Bearer t-1"}}}}));
        n.start();
        const auto status = n.fire_and_flush(repo_event());
        CHECK(status[0].state == State::dead);
        CHECK_THAT(status[0].last_error, Catch::Contains("HTTP 308 redirect to 'http://localhost:"));
        CHECK(other.requests().empty());
    }
}

TEST_CASE("https: the server certificate is verified", "[http][tls]") {
    WebServer web({"--tls", cert("server.pem"), cert("server.key")});
    SECTION("with the CA that signed it") {
        auto n = http_notifier("ca_file = " + cert("ca.pem") + "\n");
        n.add_listener(hook(web.url("/hook", "https", "localhost")));
        n.start();
        CHECK(n.fire_and_flush(repo_event())[0].state == State::delivered);
        CHECK(web.requests().size() == 1);
    }
    SECTION("another CA, or the system store: refused, never sent") {
        for (const std::string& conf : {"ca_file = " + cert("other-ca.pem") + "\n", std::string()}) {
            auto n = http_notifier(conf, quick_retries(1));
            n.add_listener(hook(web.url("/hook", "https", "localhost")));
            n.start();
            const auto status = n.fire_and_flush(repo_event());
            CHECK(status[0].state == State::dead);
            CHECK_THAT(status[0].last_error, Catch::Contains("certificate"));
        }
        CHECK(web.requests().empty());
    }
}

TEST_CASE("webhook listeners are checked at creation, and nothing is stored on error", "[http][validation]") {
    auto n = http_notifier();
    const auto refused = [&](const core::Listener& l, const std::string& expected) {
        INFO(expected);
        CHECK_THROWS_WITH(n.add_listener(l), Catch::Contains(expected));
    };
    refused(hook("ftp://127.0.0.1/x"), "must start with http:// or https://");
    refused(hook("file:///etc/passwd"), "must start with http:// or https://");
    refused(hook("http://"), "is not a valid URL");
    refused(hook("http://127.0.0.1/a\r\nX-Evil: 1"), "control character");
    refused(hook("https://admin:hunter2@example.com/"), "must not hold credentials");
    refused(hook("http://hooks.example.com/", {{"username", "u"}, {"password", "p"}}), "use https://");
    refused(hook("https://example.com/", {{"password", "p"}}), "needs a username");
    refused(hook("https://example.com/", {{"headers", {{"X-Notify-Signature", "sha256=00"}}}}), "set by notify");
    refused(hook("https://example.com/", {{"headers", {{"Content-Type", "text/plain"}}}}), "set by notify");
    refused(hook("https://example.com/", {{"headers", {{"X-Evil", "a\r\nHost: b"}}}}), "without CR or LF");
    refused(hook("https://example.com/", {{"headers", {{"Bad Name", "v"}}}}), "not a valid HTTP token");
    refused(hook("https://example.com/", {{"method", "GET"}}), "unknown setting 'method'");
    refused(hook("https://example.com/", {}, "xml"), "format must be cloudevents, data or pulp");
    refused(hook(""), "needs a url");
    try {
        n.add_listener(hook("https://admin:hunter2@example.com/"));
    } catch (const ValidationError& e) {
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
    CHECK(core::ListenerStore(n.options.store.path).list().empty());
}

TEST_CASE("a rate limit spreads a burst over time and drops nothing", "[http][rate]") {
    WebServer web;
    auto n = http_notifier();
    auto l = hook(web.url("/limited"));
    l.rate = core::parse_rate("5/s");
    n.add_listener(l);
    n.start();
    std::vector<core::FireReceipt> receipts;
    for (int i = 0; i < 15; ++i) receipts.push_back(n.notifier->fire(repo_event()));
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 30s));
    for (const auto& r : receipts) CHECK(n.notifier->status(r).at(0).state == State::delivered);
    auto requests = web.requests();
    REQUIRE(requests.size() == 15);
    std::vector<double> times;
    for (const auto& r : requests) times.push_back(r["time"].get<double>());
    std::sort(times.begin(), times.end());
    // A burst of 5, then one every 200 ms: the last 10 take at least 1.8 s, and no stretch
    // of time holds more than the bucket plus what it refills meanwhile (5 + 5/s).
    CHECK(times.back() - times.front() >= 1.8);
    for (std::size_t i = 0; i < times.size(); ++i) {
        for (std::size_t j = i + 5; j < times.size(); ++j) {
            INFO("requests " << i << " to " << j);
            CHECK(times[j] - times[i] >= static_cast<double>(j - i + 1 - 5) / 5 - 0.05);
        }
    }
}

TEST_CASE("a transform's output is the request body, as application/json", "[http][transform]") {
    WebServer web({"--secret", "s3cret-value-0123456789"});
    auto n = http_notifier();
    auto l = hook(web.url("/shaped"), {{"secret", "s3cret-value-0123456789"}});
    l.transform = R"({repo: .data.repo_id, units: .data.units, event: .type})";
    n.add_listener(l);
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.at(0).state == State::delivered);
    const auto requests = web.requests();
    REQUIRE(requests.size() == 1);
    const auto& r = requests[0];
    CHECK(header(r, "Content-Type") == "application/json");
    CHECK(nlohmann::json::parse(r["body"].get<std::string>()) ==
          nlohmann::json{{"repo", "zoo"}, {"units", 3}, {"event", "repo.publish.finish"}});
    CHECK(r["signature_valid"] == true);  // the signature covers the transformed body
}

TEST_CASE("a transform that fails on an event makes that delivery a dead letter at once", "[http][transform]") {
    WebServer web;
    auto n = http_notifier();
    auto l = hook(web.url("/shaped"));
    l.transform = R"(.data.repo_id + 1)";
    n.add_listener(l);
    n.start();
    const auto status = n.fire_and_flush(repo_event());
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::dead);
    CHECK_THAT(status[0].last_error, Catch::Matchers::Contains("transform: ") && Catch::Matchers::Contains("cannot be added"));
    CHECK(web.requests().empty());
}
