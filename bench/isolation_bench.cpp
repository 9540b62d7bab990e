// Isolation: how much AMQP throughput is left while another listener's server hangs.
// Every event matches an amqp listener; in the measured rows it also matches a webhook
// whose server reads each request and never answers, a mail listener whose SMTP server
// accepts the connection and never greets, or both. The baseline row, in the same run,
// is the amqp listener alone; control rows have as many neighbours whose deliveries are
// only stored, separating the hang's cost from the cost of writing a delivery row per
// matching listener at fire(). Goal: >= 0.90x.
// The servers are the test suite's own (tests/http/http_server.py --hang and
// tests/email/smtp_server.py --hang); the handlers keep their default timeouts (30 s for
// a request, 60 s for a mail), so they hang through every run.
// Needs a broker: run it with scripts/bench, which starts one and sets NOTIFY_TEST_AMQP_URL.
// Usage: isolation_bench [--quick]
#include <cstdio>
#include <cstring>
#include <thread>

#include "child_process.hpp"
#include "notify/config/loader.hpp"
#include "notify/core/notifier.hpp"
#include "notify/core/well_known.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "notify/handlers/email/email.hpp"
#include "notify/handlers/http/http.hpp"
#include "temp_dir.hpp"

using namespace notify::core;
using notify::test::TempDir;
using notify::test::TestServer;
using clock_type = std::chrono::steady_clock;

namespace {

bool quick = false;
std::string amqp_url;  // amqp://127.0.0.1:PORT

struct Stalled {
    TempDir http_dir, smtp_dir;
    TestServer http{{NOTIFY_SOURCE_DIR "/tests/http/http_server.py", "--dir", http_dir.path().string(), "--hang"}};
    TestServer smtp{{NOTIFY_SOURCE_DIR "/tests/email/smtp_server.py", "--dir", smtp_dir.path().string(), "--hang"}};
};

nlohmann::json section(const std::string& conf, const std::string& name) {
    return notify::config::parse(conf, "bench.conf", notify::config::Environment{}).section(name).to_json();
}

Listener listener(const std::string& kind, nlohmann::json settings) {
    Listener l;
    l.kind = kind;
    l.event_types.emplace_back("repo.#");
    l.settings = std::move(settings);
    return l;
}

// The neighbours next to the amqp listener. The "stored" ones are listeners whose kind has
// no handler in this process: their deliveries are written to the outbox and never
// attempted, which is the cost of a second listener without any server behind it.
enum class Neighbour { none, stored_one, webhook, mail, stored_two, both };

const char* name(Neighbour n) {
    switch (n) {
        case Neighbour::none: return "amqp listener alone (baseline)";
        case Neighbour::stored_one: return "+ 1 listener, deliveries only stored (control)";
        case Neighbour::stored_two: return "+ 2 listeners, deliveries only stored (control)";
        case Neighbour::webhook: return "+ a webhook whose server hangs";
        case Neighbour::mail: return "+ a mail listener whose SMTP server never answers";
        case Neighbour::both: return "+ both";
    }
    return "";
}

// Fires `count` events and returns the amqp listener's confirmed deliveries per second.
double amqp_rate(const Stalled& servers, Neighbour neighbour, int count) {
    TempDir store;
    auto registry = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*registry);
    const bool stored_only = neighbour == Neighbour::stored_one || neighbour == Neighbour::stored_two;
    if (!stored_only) {
        notify::handlers::http::register_handler(*registry);
        notify::handlers::email::register_handler(*registry);
    }
    NotifierOptions o;
    o.store_path = store / "notify.db";
    o.handlers = registry;
    o.handler_sections["messaging"] =
        section("[messaging]\nurl = amqp://guest:guest@" + amqp_url.substr(7) + "\n", "messaging");
    o.handler_sections["http"] = section("[http]\n", "http");
    o.handler_sections["email"] = section("[email]\nenabled = true\nhost = 127.0.0.1\nport = " +
                                              std::to_string(servers.smtp.port()) + "\ntls = none\nfrom = notify@example.com\n",
                                          "email");
    o.log = [](LogLevel, std::string_view) {};  // the hanging servers' timeouts are expected
    const std::string http_url = "http://127.0.0.1:" + std::to_string(servers.http.port()) + "/hook";
    std::string amqp_id;
    {
        ListenerStore listeners(o.store_path);
        amqp_id = listeners.create(listener("amqp", nlohmann::json::object())).id;
        if (neighbour == Neighbour::webhook || neighbour == Neighbour::both || stored_only) {
            listeners.create(listener("http", {{"url", http_url}}));
        }
        if (neighbour == Neighbour::mail || neighbour == Neighbour::both || neighbour == Neighbour::stored_two) {
            listeners.create(listener("email", {{"subject", "{type}"}, {"addresses", {"ops@example.com"}}}));
        }
    }
    Notifier n(o);
    const auto delivered = [&] {
        for (const auto& s : n.stats()) {
            if (s.listener_id == amqp_id) return s.delivered;
        }
        throw std::runtime_error("the amqp listener is gone");
    };
    n.fire(repo_started(RepoOperation::sync, "warm-up"));  // connect first
    const auto connect_by = clock_type::now() + std::chrono::seconds(30);
    while (delivered() < 1) {
        if (clock_type::now() > connect_by) throw std::runtime_error("no broker");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto start = clock_type::now();
    FireReceipt last;
    for (int i = 0; i < count; ++i) {
        last = n.fire(repo_finished(RepoOperation::sync, "repo-" + std::to_string(i % 100), RepoResult::success, {{"n", i}}, "bench"));
    }
    // The amqp listener's deliveries are confirmed in fire order: wait for the last one (a
    // lookup by id; stats() counts every row, and the hanging listeners' rows pile up).
    const auto give_up = clock_type::now() + std::chrono::minutes(5);
    const auto last_confirmed = [&] {
        for (const auto& s : n.status(last)) {
            if (s.listener_id == amqp_id) return s.state == DeliveryStatus::State::delivered;
        }
        throw std::runtime_error("no amqp delivery for the last event");
    };
    while (!last_confirmed()) {
        if (clock_type::now() > give_up) throw std::runtime_error(std::string("amqp deliveries stalled: ") + name(neighbour));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    while (delivered() < static_cast<std::uint64_t>(count) + 1) {  // the rest, recorded a moment later
        if (clock_type::now() > give_up) throw std::runtime_error("amqp deliveries confirmed out of order");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    n.stop(clock_type::now());  // leave the hanging deliveries pending; the store goes with the run
    return count / seconds;
}

}  // namespace

int main(int argc, char** argv) {
    quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const char* url = std::getenv("NOTIFY_TEST_AMQP_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "isolation_bench: NOTIFY_TEST_AMQP_URL is not set (run scripts/bench)\n");
        return 2;
    }
    amqp_url = url;
    try {
        Stalled servers;
        const int count = quick ? 2000 : 20000;
        const Neighbour rows[] = {Neighbour::none,    Neighbour::stored_one, Neighbour::webhook,
                                  Neighbour::mail,    Neighbour::stored_two, Neighbour::both};
        constexpr int n_rows = 6;
        double best[n_rows] = {};
        for (int run = 0; run < 3; ++run) {
            for (int r = 0; r < n_rows; ++r) best[r] = std::max(best[r], amqp_rate(servers, rows[r], count));
        }
        // Each row against the control with as many neighbours: what the hang itself costs.
        const auto control = [&](Neighbour n) {
            if (n == Neighbour::none) return best[0];
            return n == Neighbour::stored_two || n == Neighbour::both ? best[4] : best[1];
        };
        std::printf("# notify isolation bench%s\n\n", quick ? " (quick)" : "");
        std::printf("## AMQP deliveries confirmed per second, %d events per run, durable outbox (best of 3)\n\n", count);
        std::printf("| listeners | amqp msg/s | vs amqp alone | vs control |\n|---|---:|---:|---:|\n");
        for (int r = 0; r < n_rows; ++r) {
            std::printf("| %s | %.0f | %.2fx | %.2fx |\n", name(rows[r]), best[r], best[r] / best[0],
                        best[r] / control(rows[r]));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "isolation_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
