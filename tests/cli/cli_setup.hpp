// What the end-to-end CLI tests share: a server.conf for the test broker (and an SMTP
// server), and waiting for a consumer to be bound.
#pragma once

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "binary.hpp"
#include "broker_env.hpp"
#include "mail_server.hpp"

namespace notify::test {

inline std::string unique(const std::string& prefix) {
    return prefix + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
}

// A server.conf for the test broker (or `amqp_url`, with no management API) and, when
// given, an SMTP server; `extra` is appended as it is.
struct Setup {
    TempDir dir;
    std::string conf = (dir / "server.conf").string();
    std::vector<std::string> env{"NOTIFY_CONFIG=" + conf};

    explicit Setup(const std::string& amqp_url = "", const MailServer* smtp = nullptr, const std::string& extra = "") {
        write(amqp_url, smtp, extra);
    }

    // Writes server.conf again (readable by its owner only: it holds the broker password).
    void write(const std::string& amqp_url = "", const MailServer* smtp = nullptr, const std::string& extra = "") const {
        const auto& broker = Broker::get();
        std::ostringstream out;
        out << "[store]\npath = " << (dir / "notify.db").string() << "\n[messaging]\nurl = "
            << (amqp_url.empty() ? "amqp://guest:guest@" + broker.amqp_url.substr(7) : amqp_url)
            << "\nmanagement_url = " << (amqp_url.empty() ? broker.management_url : "http://127.0.0.1:1") << "\ntimeout = 5s\n"
            << "[delivery]\nbackoff_initial = 100ms\nbackoff_max = 1s\n";
        if (smtp != nullptr) {
            out << "[email]\nenabled = true\nhost = 127.0.0.1\ntls = none\nport = " << smtp->server.port()
                << "\nfrom = notify@example.com\n";
        }
        out << extra;
        write_private(conf, out.str());
    }

    Ran run(const std::vector<std::string>& args) const { return run_notify(args, env); }
};

// Waits until something is bound to `exchange` (a listen command is ready).
inline void wait_for_binding(const std::string& exchange) {
    using namespace std::chrono_literals;
    const auto& broker = Broker::get();
    for (int i = 0; i < 200; ++i) {
        const auto bindings = broker.api("/api/exchanges/%2F/" + exchange + "/bindings/source");
        if (bindings.is_array() && !bindings.empty()) return;
        std::this_thread::sleep_for(50ms);
    }
    FAIL("nothing bound to " << exchange << " within 10 s");
}

}  // namespace notify::test
