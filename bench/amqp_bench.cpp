// The amqp handler end to end (fire() to the broker's `accepted`) against baselines measured
// in the same run, on the same local broker:
//  1. a raw Proton C++ sender doing the same confirmed, durable sends (goal: >= 0.9x);
//  2. pika (AMQP 0-9-1) with publisher confirms, the peer a Python user would pick;
//  3. RSS sampled while 1,000,000 events go through the handler;
//  4. the same with the broker stopped: RSS and the store file while the outbox grows,
//     then the broker started again and the time until everything is confirmed.
// Needs a broker: run it with scripts/bench, which starts one and sets NOTIFY_TEST_AMQP_URL.
// Usage: amqp_bench [--quick] [throughput|memory|broker-down]...
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "notify/config/loader.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/notifier.hpp"
#include "rss.hpp"
#include "notify/core/well_known.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "raw_proton_sender.hpp"

using namespace notify::core;
using clock_type = std::chrono::steady_clock;

namespace {

bool quick = false;
std::string amqp_url;  // amqp://127.0.0.1:PORT


Event sample_event(int i) {
    return repo_finished(RepoOperation::sync, "repo-" + std::to_string(i % 100), RepoResult::success, {{"added", i}},
                         "bench");
}

nlohmann::json messaging() {
    const std::string conf = "[messaging]\nurl = amqp://guest:guest@" + amqp_url.substr(7) + "\n";
    auto schema = notify::config::Schema::builtin();
    schema.add_section(notify::handlers::amqp::make_factory()->section_spec());
    return notify::config::parse(conf, "bench.conf", notify::config::Environment{}, schema).section("messaging").to_json();
}

struct Store {
    std::filesystem::path dir;
    Store() {
        std::string pattern = (std::filesystem::current_path() / "amqp-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = pattern;
    }
    ~Store() { std::filesystem::remove_all(dir); }
};

// A Notifier with one amqp listener for every event, publishing to amq.topic.
std::unique_ptr<Notifier> make_notifier(const Store& store, NotifierOptions::OutboxMode mode,
                                        RetryPolicy retry = RetryPolicy{}) {
    auto registry = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*registry);
    NotifierOptions o;
    o.store_path = store.dir / "notify.db";
    o.outbox = mode;
    o.handlers = registry;
    o.retry = retry;
    o.handler_sections["messaging"] = messaging();
    o.log = [](LogLevel level, std::string_view message) {
        if (level >= LogLevel::warning) std::fprintf(stderr, "notify: %.*s\n", static_cast<int>(message.size()), message.data());
    };
    Listener l;
    l.kind = "amqp";
    l.event_types.emplace_back("#");
    l.format = "cloudevents";
    if (mode == NotifierOptions::OutboxMode::durable) {
        ListenerStore(o.store_path).create(l);
        return std::make_unique<Notifier>(o);
    }
    auto n = std::make_unique<Notifier>(o);
    n->listeners().create(l);
    return n;
}

// Fires `count` events from one thread and waits until the broker accepted all of them.
double notify_rate(NotifierOptions::OutboxMode mode, int count) {
    Store store;
    auto n = make_notifier(store, mode);
    n->fire(sample_event(-1));  // connect first, as the raw sender's clock starts once connected
    if (!n->flush(clock_type::now() + std::chrono::seconds(30))) throw std::runtime_error("no broker");
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) n->fire(sample_event(i));
    if (!n->flush(clock_type::now() + std::chrono::minutes(10))) throw std::runtime_error("not all accepted");
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    const auto delivered = n->stats().at(0).delivered;
    if (delivered != static_cast<std::uint64_t>(count) + 1) {
        const auto s = n->stats().at(0);
        throw std::runtime_error("delivered " + std::to_string(delivered) + " of " + std::to_string(count + 1) + " retried " + std::to_string(s.retried) + " dead " + std::to_string(s.dead) + " pending " + std::to_string(s.pending) + " in flight " + std::to_string(s.in_flight));
    }
    return count / seconds;
}

double raw_rate(int count) {
    const auto formatted = format_message(sample_event(1), "cloudevents");
    notify::bench::RawSender sender(amqp_url, "amq.topic", formatted.subject, formatted.body, count);
    const double seconds = sender.run();
    if (sender.accepted() != count) throw std::runtime_error("raw sender: not all accepted");
    return count / seconds;
}

double pika_rate(int count) {
    const std::string command = "/usr/bin/python3 " + std::string(NOTIFY_SOURCE_DIR) + "/bench/pika_publish.py " +
                                amqp_url.substr(amqp_url.rfind(':') + 1) + " " + std::to_string(count);
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("cannot run pika");
    double rate = 0;
    if (std::fscanf(p, "%lf", &rate) != 1) rate = 0;
    if (pclose(p) != 0 || rate <= 0) throw std::runtime_error("pika publisher failed");
    return rate;
}

void throughput_table() {
    const int count = quick ? 5000 : 50000;
    std::printf("\n## Confirmed, durable messages to amq.topic, %d per run (best of 3)\n\n", count);
    std::printf("| sender | msg/s | vs raw Proton |\n|---|---:|---:|\n");
    double raw = 0, durable = 0, memory = 0, pika = 0;
    for (int run = 0; run < 3; ++run) {
        raw = std::max(raw, raw_rate(count));
        durable = std::max(durable, notify_rate(NotifierOptions::OutboxMode::durable, count));
        memory = std::max(memory, notify_rate(NotifierOptions::OutboxMode::memory, count));
        pika = std::max(pika, pika_rate(count / 5));
    }
    std::printf("| raw Proton C++ sender (baseline) | %.0f | 1.00x |\n", raw);
    std::printf("| notify, durable outbox | %.0f | %.2fx |\n", durable, durable / raw);
    std::printf("| notify, in-memory outbox | %.0f | %.2fx |\n", memory, memory / raw);
    std::printf("| pika 1.2, publisher confirms | %.0f | %.2fx |\n", pika, pika / raw);
}

void memory_table() {
    const int total = quick ? 100000 : 1000000;
    const int step = total / 10;
    std::printf("\n## RSS while %d events go through the handler (durable outbox)\n\n", total);
    std::printf("| delivered | RSS MiB |\n|---:|---:|\n");
    Store store;
    auto n = make_notifier(store, NotifierOptions::OutboxMode::durable);
    for (int done = 0; done < total; done += step) {
        for (int i = 0; i < step; ++i) n->fire(sample_event(done + i));
        if (!n->flush(clock_type::now() + std::chrono::minutes(10))) throw std::runtime_error("not all accepted");
        std::printf("| %d | %.1f |\n", done + step, notify::bench::rss_kib() / 1024.0);
        std::fflush(stdout);
    }
}

// The size of a file in the store folder in MiB (0 when it does not exist).
double file_mib(const Store& store, const std::string& name) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(store.dir / name, ec);
    return ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void broker(const char* action) {
    const char* dir = std::getenv("NOTIFY_TEST_BROKER");
    if (dir == nullptr) throw std::runtime_error("NOTIFY_TEST_BROKER is not set (run scripts/bench)");
    const std::string command = std::string(NOTIFY_SOURCE_DIR) + "/scripts/broker " + action + " " + dir;
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

void broker_down_table() {
    const int total = quick ? 100000 : 1000000;
    const int step = total / 10;
    std::printf("\n## The broker stopped while %d events are fired (durable outbox)\n\n", total);
    std::printf("| fired while down | RSS MiB | store file MiB | its WAL MiB | pending |\n|---:|---:|---:|---:|---:|\n");
    Store store;
    RetryPolicy retry;
    retry.backoff_max = std::chrono::seconds(5);  // so the drain starts soon after the broker is back
    auto n = make_notifier(store, NotifierOptions::OutboxMode::durable, retry);
    n->fire(sample_event(-1));
    if (!n->flush(clock_type::now() + std::chrono::seconds(30))) throw std::runtime_error("no broker");
    broker("stop");
    for (int done = 0; done < total; done += step) {
        for (int i = 0; i < step; ++i) n->fire(sample_event(done + i));
        const auto s = n->stats().at(0);
        std::printf("| %d | %.1f | %.0f | %.0f | %llu |\n", done + step, notify::bench::rss_kib() / 1024.0,
                    file_mib(store, "notify.db"), file_mib(store, "notify.db-wal"),
                    static_cast<unsigned long long>(s.pending + s.in_flight));
        std::fflush(stdout);
    }
    broker("restart");
    const auto back = clock_type::now();
    if (!n->flush(clock_type::now() + std::chrono::minutes(30))) throw std::runtime_error("not all accepted");
    const double seconds = std::chrono::duration<double>(clock_type::now() - back).count();
    const auto s = n->stats().at(0);
    if (s.delivered != static_cast<std::uint64_t>(total) + 1 || s.dead != 0) {
        throw std::runtime_error("after the outage: delivered " + std::to_string(s.delivered) + ", dead " +
                                 std::to_string(s.dead));
    }
    std::printf("\nBroker back: all %d confirmed %.0f s after it was started again (%.0f msg/s), RSS %.1f MiB, "
                "%llu attempts retried during the outage.\n",
                total, seconds, total / seconds, notify::bench::rss_kib() / 1024.0,
                static_cast<unsigned long long>(s.retried));
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> only;  // table names given: run just those
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::set<std::string>{"throughput", "memory", "broker-down"}.count(argv[i]) != 0) {
            only.insert(argv[i]);
        } else {
            std::fprintf(stderr, "amqp_bench: unknown argument '%s' (usage: amqp_bench [--quick] [throughput|memory|broker-down]...)\n", argv[i]);
            return 2;
        }
    }
    const auto wanted = [&](const char* table) { return only.empty() || only.count(table) != 0; };
    const char* url = std::getenv("NOTIFY_TEST_AMQP_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "amqp_bench: NOTIFY_TEST_AMQP_URL is not set (run scripts/bench)\n");
        return 2;
    }
    amqp_url = url;
    try {
        std::printf("# notify amqp bench%s\n", quick ? " (quick)" : "");
        if (wanted("throughput")) throughput_table();
        if (wanted("memory")) memory_table();
        if (wanted("broker-down")) broker_down_table();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "amqp_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
