// notify serve for a monitoring system: GET /metrics and /healthz ([serve] metrics) and
// its log as JSON lines ([log] format = json), against a real HTTP receiver.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "cli_setup.hpp"
#include "eventually.hpp"
#include "web_server.hpp"

using namespace notify::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// A loopback port nobody listens on right now.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        throw std::runtime_error("cannot bind 127.0.0.1");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

struct HttpReply {
    int status = 0;  // 0: no answer
    std::string headers;
    std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:`port`, read until the server closes.
HttpReply http(int port, const std::string& method, const std::string& path) {
    HttpReply reply;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0) ::close(fd);
        return reply;
    }
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return reply;
    }
    std::string all;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) all.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    const auto end = all.find("\r\n\r\n");
    if (all.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return reply;
    reply.status = std::stoi(all.substr(9, 3));
    reply.headers = all.substr(0, end);
    reply.body = all.substr(end + 4);
    return reply;
}

// The value of one series on a /metrics page; -1 when it is not there.
double sample(const std::string& page, const std::string& series) {
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

}  // namespace

TEST_CASE("serve answers GET /metrics and /healthz, and logs each delivery as a JSON line", "[cli][e2e][serve]") {
    WebServer receiver({"--answers", "500,500,200"});
    const int port = free_port();
    Setup s("", nullptr,
            "[serve]\nmetrics = 127.0.0.1:" + std::to_string(port) +
                "\nunhealthy_after = 1s\n[log]\nformat = json\nlevel = debug\n");
    const auto created = s.run({"--json", "listener", "http", "create", "--event-type", "repo.#", "--url",
                                receiver.url("/hook")});
    REQUIRE(created.code == 0);
    const std::string id = nlohmann::json::parse(created.out).at("id");
    NotifyProcess serve({"serve"}, s.env);
    // The endpoint answers first, 503 "delivery is starting", then 200 once delivery runs.
    REQUIRE(eventually([&] { return http(port, "GET", "/healthz").status != 0; }, 20s));
    const auto first = http(port, "GET", "/healthz");
    CHECK((first.status == 200 || first.body == "unhealthy: delivery is starting\n"));
    REQUIRE(eventually([&] { return http(port, "GET", "/healthz").status == 200; }, 20s));
    INFO(serve.err());

    const auto healthy = http(port, "GET", "/healthz");
    CHECK(healthy.status == 200);
    CHECK(healthy.body == "ok\n");
    CHECK(http(port, "GET", "/nothing").status == 404);
    CHECK(http(port, "GET", "/metrics/more").status == 404);
    CHECK(http(port, "GET", "/healthz/").status == 404);
    CHECK(http(port, "POST", "/metrics").status == 405);

    REQUIRE(s.run({"event", "fire", "repo.sync.finish"}).code == 0);
    const std::string delivered = "notify_deliveries_total{kind=\"http\",listener=\"" + id + "\",outcome=\"delivered\"}";
    REQUIRE(eventually([&] { return sample(http(port, "GET", "/metrics").body, delivered) == 1; }, 20s));
    const auto scrape = http(port, "GET", "/metrics");
    CHECK(scrape.status == 200);
    CHECK_THAT(scrape.headers, Contains("Content-Type: text/plain; version=0.0.4"));
    const auto& page = scrape.body;
    CHECK(sample(page, "notify_deliveries_total{kind=\"http\",listener=\"" + id + "\",outcome=\"retried\"}") == 2);
    CHECK(sample(page, "notify_deliveries_total{kind=\"http\",listener=\"" + id + "\",outcome=\"dead\"}") == 0);
    CHECK(sample(page, "notify_delivery_duration_seconds_count{kind=\"http\"}") == 1);
    CHECK(sample(page, "notify_handler_up{kind=\"http\"}") == 1);
    CHECK(sample(page, "notify_outbox_pending{listener=\"" + id + "\"}") == 0);
    CHECK(sample(page, "notify_outbox_oldest_pending_seconds{listener=\"" + id + "\"}") == 0);
    CHECK(receiver.requests().size() == 3);

    // The receiver goes away: once its failures last longer than unhealthy_after, /healthz says so.
    REQUIRE(s.run({"listener", "http", "update", "--listener-id", id, "--url", "http://127.0.0.1:1/gone"}).code == 0);
    REQUIRE(s.run({"event", "fire", "repo.sync.finish"}).code == 0);
    const bool turned = eventually([&] { return http(port, "GET", "/healthz").status == 503; }, 20s);
    INFO(serve.err());
    INFO(http(port, "GET", "/metrics").body);
    REQUIRE(turned);
    const auto sick = http(port, "GET", "/healthz");
    CHECK_THAT(sick.body, Contains("unhealthy: the http handler has been failing for") && Contains("127.0.0.1:1/gone"));
    const auto down = http(port, "GET", "/metrics").body;
    CHECK(sample(down, "notify_handler_up{kind=\"http\"}") == 0);
    CHECK(sample(down, "notify_outbox_pending{listener=\"" + id + "\"}") == 1);
    CHECK(sample(down, "notify_outbox_oldest_pending_seconds{listener=\"" + id + "\"}") > 1);

    // [log] is read when serve starts: a reload says so and does not restart delivery for it.
    s.write("", nullptr,
            "[serve]\nmetrics = 127.0.0.1:" + std::to_string(port) +
                "\nunhealthy_after = 1s\n[log]\nformat = json\nlevel = info\n");
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return serve.err().find("takes effect when serve starts again") != std::string::npos; }, 20s));
    CHECK(serve.err().find("[log] level") != std::string::npos);
    CHECK(serve.err().find("restarting delivery") == std::string::npos);

    serve.signal(SIGTERM);
    CHECK(serve.wait(20s) == 0);
    CHECK(http(port, "GET", "/healthz").status == 0);  // the endpoint stopped with serve

    // Every line of the log is one JSON object; deliveries carry their fields.
    std::istringstream log(serve.err());
    int retries = 0;
    int deliveries = 0;
    std::string last_message;
    for (std::string line; std::getline(log, line);) {
        INFO(line);
        const auto record = nlohmann::json::parse(line);
        CHECK(record.at("time").get<std::string>().back() == 'Z');
        last_message = record.at("message");
        if (record.value("listener", "") != id || record.at("event_type") != "repo.sync.finish") continue;
        if (record.at("message") == "delivery failed, will retry" && record.at("attempt") == 1) {
            ++retries;
            CHECK(record.at("level") == "warning");
            CHECK(record.contains("next_attempt"));
            CHECK(record.at("delivery_id").get<std::string>().size() == 36);
        }
        if (record.at("message") == "delivered") {
            ++deliveries;
            CHECK(record.at("level") == "debug");
            CHECK(record.at("attempt") == 3);
        }
    }
    CHECK(retries == 2);  // the first attempt of each of the two events
    CHECK(deliveries == 1);
    CHECK_THAT(last_message, Contains("stopped by SIGTERM; 1 deliveries left in the outbox"));
}
