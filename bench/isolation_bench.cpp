// Isolation: how much AMQP throughput is left while another listener's server hangs, and
// how much of a healthy webhook's rate is left next to two webhooks whose server hangs.
// Every event matches an amqp listener; in the measured rows it also matches a webhook
// whose server reads each request and never answers, a mail listener whose SMTP server
// accepts the connection and never greets, or both. The baseline row, in the same run,
// is the amqp listener alone; control rows have as many neighbours whose deliveries are
// only stored, separating the hang's cost from the cost of writing a delivery row per
// matching listener at fire(). Goal: >= 0.90x.
// The webhook table: a healthy webhook (a real http.server on loopback answering 200) alone,
// next to two listeners whose deliveries are only stored (control), and next to two
// webhooks whose server hangs, with the default 4 workers and listener_concurrency 2: the
// hanging ones would take all four workers but for the fair share and the spare workers
// that replace stalled attempts. Measured once the hanging attempts have stalled (after
// 2 s), as a hang lasts (30 s per request here). Goal: >= 0.90x of the control.
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
    auto schema = notify::config::Schema::builtin();
    schema.add_section(notify::handlers::amqp::make_factory()->section_spec());
    schema.add_section(notify::handlers::email::make_factory()->section_spec());
    schema.add_section(notify::handlers::http::make_factory()->section_spec());
    return notify::config::parse(conf, "bench.conf", notify::config::Environment{}, schema).section(name).to_json();
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
    o.store.path = store / "notify.db";
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
        ListenerStore listeners(o.store.path);
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

enum class Webhooks { alone, stored_two, hanging_two };

const char* name(Webhooks w) {
    switch (w) {
        case Webhooks::alone: return "healthy webhook alone (baseline)";
        case Webhooks::stored_two: return "+ 2 listeners, deliveries only stored (control)";
        case Webhooks::hanging_two: return "+ 2 webhooks whose server hangs";
    }
    return "";
}

// Fires `count` events and returns the healthy webhook's confirmed deliveries per second.
double webhook_rate(const Stalled& servers, const TestServer& healthy, Webhooks neighbours, int count) {
    TempDir store;
    auto registry = std::make_shared<HandlerRegistry>();
    notify::handlers::http::register_handler(*registry);
    NotifierOptions o;
    o.store.path = store / "notify.db";
    o.handlers = registry;
    o.handler_sections["http"] = section("[http]\n", "http");
    o.log = [](LogLevel, std::string_view) {};
    const auto url = [](const TestServer& s) { return "http://127.0.0.1:" + std::to_string(s.port()) + "/hook"; };
    std::string healthy_id;
    {
        ListenerStore listeners(o.store.path);
        healthy_id = listeners.create(listener("http", {{"url", url(healthy)}})).id;
        for (int i = 0; i < 2 && neighbours != Webhooks::alone; ++i) {
            // Stored only: a kind no handler in this process serves.
            listeners.create(neighbours == Webhooks::hanging_two ? listener("http", {{"url", url(servers.http)}})
                                                                  : listener("stored", nlohmann::json::object()));
        }
    }
    Notifier n(o);
    const auto delivered = [&] {
        for (const auto& s : n.stats()) {
            if (s.listener_id == healthy_id) return s.delivered;
        }
        throw std::runtime_error("the healthy webhook is gone");
    };
    // Warm up: the hanging webhooks take their workers, stall, and are replaced by spares.
    for (int i = 0; i < 10; ++i) n.fire(repo_started(RepoOperation::sync, "warm-up"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto warm_by = clock_type::now() + std::chrono::seconds(30);
    while (delivered() < 10) {
        if (clock_type::now() > warm_by) throw std::runtime_error(std::string("webhook starved: ") + name(neighbours));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) n.fire(repo_finished(RepoOperation::sync, "repo-" + std::to_string(i % 100), RepoResult::success, {{"n", i}}, "bench"));
    const auto give_up = clock_type::now() + std::chrono::minutes(5);
    while (delivered() < static_cast<std::uint64_t>(count) + 10) {
        if (clock_type::now() > give_up) throw std::runtime_error(std::string("webhook deliveries stalled: ") + name(neighbours));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    n.stop(clock_type::now());
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

        TempDir healthy_dir;
        const TestServer healthy{{NOTIFY_SOURCE_DIR "/tests/http/http_server.py", "--dir", healthy_dir.path().string()}};
        const int hooks = quick ? 300 : 3000;
        const Webhooks hook_rows[] = {Webhooks::alone, Webhooks::stored_two, Webhooks::hanging_two};
        double hook_best[3] = {};
        for (int run = 0; run < 5; ++run) {
            for (int r = 0; r < 3; ++r) hook_best[r] = std::max(hook_best[r], webhook_rate(servers, healthy, hook_rows[r], hooks));
        }
        std::printf("\n## A healthy webhook's deliveries confirmed per second, %d events per run, 4 workers, "
                    "listener_concurrency 2 (best of 5)\n\n",
                    hooks);
        std::printf("| listeners | webhook req/s | vs alone | vs control |\n|---|---:|---:|---:|\n");
        for (int r = 0; r < 3; ++r) {
            std::printf("| %s | %.0f | %.2fx | %.2fx |\n", name(hook_rows[r]), hook_best[r], hook_best[r] / hook_best[0],
                        hook_best[r] / hook_best[r == 2 ? 1 : r]);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "isolation_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
