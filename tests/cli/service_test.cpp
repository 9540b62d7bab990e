// notify serve as a service and the time limits of the tool, with the installed binary:
// SIGHUP reloads and SIGUSR1/SIGUSR2 report while Proton's and libcurl's threads are busy;
// SIGTERM, SIGINT and SIGQUIT drain within 10 s however silent a server is; event fire
// --wait N returns within N s plus 1 against silent or missing servers.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "cli_setup.hpp"
#include "eventually.hpp"
#include "mail_server.hpp"
#include "temp_dir.hpp"
#include "web_server.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A TCP port on 127.0.0.1 that accepts connections and never says a word.
class SilentPeer {
public:
    SilentPeer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            while (!stop_) {
                pollfd p{fd_, POLLIN, 0};
                if (::poll(&p, 1, 100) > 0) {
                    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                    if (c >= 0) held_.push_back(c);
                }
            }
        });
    }
    ~SilentPeer() {
        stop_ = true;
        thread_.join();
        for (const int c : held_) ::close(c);
        ::close(fd_);
    }
    SilentPeer(const SilentPeer&) = delete;
    SilentPeer& operator=(const SilentPeer&) = delete;

    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<int> held_;
    std::thread thread_;
};

// A NOTIFY_SOCKET of the test's own: what systemd listens on for a Type=notify service.
class NotifySocket {
public:
    NotifySocket() : path_((dir_.path() / "notify.sock").string()) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path_.copy(address.sun_path, sizeof address.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot bind " + path_);
        }
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::string& path() const { return path_; }

    // The next message, or "" when none came within `wait`.
    std::string next(std::chrono::milliseconds wait) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return "";
        char buffer[4096];
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }

    // The next message that is not a watchdog ping.
    std::string next_state(std::chrono::milliseconds wait) {
        const auto until = Clock::now() + wait;
        while (Clock::now() < until) {
            auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
            if (m != "WATCHDOG=1") return m;
        }
        return "";
    }

private:
    TempDir dir_;
    std::string path_;
    int fd_ = -1;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

TEST_CASE("serve: SIGHUP reloads server.conf and the listeners, SIGUSR1 reports, delivery goes on, SIGQUIT drains",
          "[cli][e2e][serve]") {
    const auto& broker = Broker::get();
    WebServer hanging({"--hang"});  // keeps a libcurl transfer under way in serve
    Setup s;
    const std::string exchange = unique("serve-reload");
    REQUIRE(s.run({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange}).code == 0);
    REQUIRE(s.run({"listener", "http", "create", "--event-type", "repo.#", "--url", hanging.url()}).code == 0);
    NotifyProcess listen({"listen", "amqp", "--quiet", "--exchange", exchange, "--count", "2", "--timeout", "60"}, s.env);
    wait_for_binding(exchange);
    NotifyProcess serve({"serve"}, s.env);
    REQUIRE(s.run({"event", "fire", "repo.sync.start"}).code == 0);
    REQUIRE(eventually([&] { return !hanging.requests().empty(); }, 20s));  // Proton and libcurl threads at work

    for (const int signal : {SIGHUP, SIGUSR1, SIGUSR2}) {
        serve.signal(signal);
        CHECK(serve.wait(700ms) == -1);  // still serving
    }
    // A changed setting restarts delivery with it, secrets stay masked; a broken file is
    // logged and the settings in use stay; a new listener is picked up and named.
    s.write("", nullptr, "[http]\ntimeout = 20s\n");
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return serve.err().find("reload: [http] timeout: 30000 -> 20000") != std::string::npos; }, 20s));
    write_private(s.conf, "[store\n", true);
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return serve.err().find("the settings in use are kept") != std::string::npos; }, 20s));
    s.write("", nullptr, "[http]\ntimeout = 20s\n");
    const auto added = s.run({"--json", "listener", "amqp", "create", "--event-type", "org_unit.#", "--exchange", exchange});
    REQUIRE(added.code == 0);
    const std::string added_id = nlohmann::json::parse(added.out)["id"];
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return serve.err().find("reload: listener " + added_id + " added (amqp)") != std::string::npos; }, 20s));
    CHECK(serve.wait(100ms) == -1);

    REQUIRE(s.run({"event", "fire", "repo.sync.finish"}).code == 0);
    CHECK(listen.wait(40s) == 0);
    CHECK(listen.out() == "repo.sync.start\nrepo.sync.finish\n");

    const auto start = Clock::now();
    serve.signal(SIGQUIT);
    CHECK(serve.wait(20s) == 0);
    CHECK(seconds_since(start) < 11.0);  // the hanging webhook is given up at the drain deadline
    const auto err = serve.err();
    INFO(err);
    CHECK(err.find("status: 2 listeners,") != std::string::npos);
    CHECK(err.find("stopped by SIGQUIT") != std::string::npos);
    CHECK(err.find("guest:guest") == std::string::npos);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("serve speaks systemd's notify protocol: READY=1 once started, WATCHDOG=1, RELOADING=1, STOPPING=1",
          "[cli][e2e][serve]") {
    const auto& broker = Broker::get();
    Setup s;
    const std::string exchange = unique("serve-systemd");
    REQUIRE(s.run({"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange}).code == 0);
    REQUIRE(s.run({"event", "fire", "repo.sync.start"}).code == 0);  // one delivery waiting for serve
    NotifySocket socket;
    auto env = s.env;
    env.push_back("NOTIFY_SOCKET=" + socket.path());
    env.push_back("WATCHDOG_USEC=400000");  // WatchdogSec=0.4: a ping every 200 ms
    NotifyProcess serve({"serve"}, env);
    const auto ready = socket.next_state(20s);
    INFO(serve.err());
    CHECK(ready.rfind("READY=1\nSTATUS=1 listeners, ", 0) == 0);
    int pings = 0;
    for (auto m = socket.next(1s); !m.empty() && pings < 3; m = socket.next(1s)) pings += m == "WATCHDOG=1";
    CHECK(pings == 3);
    serve.signal(SIGHUP);
    CHECK(socket.next_state(10s) == "RELOADING=1");
    CHECK(socket.next_state(10s).rfind("READY=1\nSTATUS=", 0) == 0);
    serve.signal(SIGTERM);
    CHECK(socket.next_state(10s) == "STOPPING=1\nSTATUS=stopping (SIGTERM): draining for up to 10 s");
    CHECK(serve.wait(20s) == 0);
    // It delivered what was waiting before it stopped.
    const auto stats = s.run({"--json", "stats"});
    REQUIRE(stats.code == 0);
    CHECK(nlohmann::json::parse(stats.out).at(0).at("delivered") == 1);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("serve drains within 10 s of SIGTERM while an SMTP server holds a mail unanswered", "[cli][e2e][serve]") {
    MailServer silent({"--silent-after-data", "0"});
    Setup s("", &silent);
    REQUIRE(s.run({"listener", "email", "create", "--event-type", "repo.#", "--subject", "{type}", "--addresses",
                   "ops@example.com"}).code == 0);
    REQUIRE(s.run({"event", "fire", "repo.sync.finish"}).code == 0);
    NotifyProcess serve({"serve"}, s.env);
    std::this_thread::sleep_for(2s);  // the mail is sent; its reply never comes
    const auto start = Clock::now();
    serve.signal(SIGTERM);
    CHECK(serve.wait(30s) == 0);
    CHECK(seconds_since(start) < 11.0);
    CHECK(serve.err().find("1 deliveries left in the outbox") != std::string::npos);
    const auto pending = nlohmann::json::parse(s.run({"--json", "delivery", "list"}).out);
    REQUIRE(pending.size() == 1);  // kept for the next start
    CHECK(pending[0]["state"] == "pending");
}

TEST_CASE("event fire --wait N returns within N s plus 1 however the servers behave", "[cli][e2e][deadline]") {
    SECTION("an SMTP server that takes the message and never answers") {
        MailServer silent({"--silent-after-data", "0"});
        Setup s("", &silent);
        REQUIRE(s.run({"listener", "email", "create", "--event-type", "repo.#", "--subject", "{type}", "--addresses",
                       "ops@example.com"}).code == 0);
        const auto start = Clock::now();
        const auto fired = s.run({"event", "fire", "repo.sync.finish", "--wait", "2"});
        CHECK(seconds_since(start) < 3.0);
        CHECK(fired.code == 1);
        CHECK(fired.err.find("1 of 1 deliveries still pending after 2 s") != std::string::npos);
    }
    SECTION("a broker port that accepts connections and never speaks") {
        SilentPeer peer;
        Setup s("amqp://guest:guest@127.0.0.1:" + std::to_string(peer.port()));
        REQUIRE(s.run({"listener", "amqp", "create", "--event-type", "repo.#"}).code == 0);
        const auto start = Clock::now();
        const auto fired = s.run({"event", "fire", "repo.sync.finish", "--wait", "2"});
        CHECK(seconds_since(start) < 3.0);
        CHECK(fired.code == 1);
    }
    SECTION("a broker port nobody listens on") {
        Setup s("amqp://guest:guest@127.0.0.1:1");
        REQUIRE(s.run({"listener", "amqp", "create", "--event-type", "repo.#"}).code == 0);
        for (const char* wait : {"3", "5"}) {
            const auto start = Clock::now();
            const auto fired = s.run({"event", "fire", "repo.sync.finish", "--wait", wait});
            CHECK(seconds_since(start) < std::stod(wait) + 1.0);
            CHECK(fired.code == 1);
        }
    }
}
