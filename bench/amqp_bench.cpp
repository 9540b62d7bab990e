// The amqp handler end to end (fire() to the broker's `accepted`) against baselines measured
// in the same run, on the same local broker:
//  1. a raw Proton C++ sender doing the same confirmed, durable sends (goal: >= 0.9x), and
//     the same sender with a bare SQLite outbox in front (the floor of a durable outbox);
//     with 1 listener, and with 10 listeners on 10 exchanges against 10 raw senders;
//  2. pika (AMQP 0-9-1) with publisher confirms, the peer a Python user would pick;
//  3. RSS sampled while 1,000,000 events go through the handler;
//  4. the same with the broker stopped: RSS and the store file while the outbox grows,
//     then the broker started again and the time until everything is confirmed.
// Needs a broker: run it with scripts/bench, which starts one and sets NOTIFY_TEST_AMQP_URL.
// Usage: amqp_bench [--quick] [--data FILE] [--rows TEXT] [throughput|memory|broker-down]...
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <span>
#include <vector>
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
    std::string conf = "[messaging]\nurl = amqp://guest:guest@" + amqp_url.substr(7) + "\n";
    // The private broker's management API, so that listeners' exchanges are created as usual.
    if (const char* management = std::getenv("NOTIFY_TEST_MANAGEMENT_URL")) {
        conf += "management_url = " + std::string(management) + "\n";
    }
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

// The exchanges of the 10-listener runs: bench-0 .. bench-9.
std::vector<std::string> bench_exchanges(int n) {
    if (n == 1) return {"amq.topic"};
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) names.push_back("bench-" + std::to_string(i));
    return names;
}

// A Notifier with `listeners` amqp listeners for every event, one per exchange of
// bench_exchanges(listeners).
std::unique_ptr<Notifier> make_notifier(const Store& store, NotifierOptions::OutboxMode mode,
                                        RetryPolicy retry = RetryPolicy{}, int listeners = 1) {
    auto registry = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*registry);
    NotifierOptions o;
    o.store.path = store.dir / "notify.db";
    o.outbox = mode;
    o.handlers = registry;
    o.retry = retry;
    o.handler_sections["messaging"] = messaging();
    o.log = [](LogLevel level, std::string_view message) {
        if (level >= LogLevel::warning) std::fprintf(stderr, "notify: %.*s\n", static_cast<int>(message.size()), message.data());
    };
    std::vector<Listener> all;
    for (const auto& exchange : bench_exchanges(listeners)) {
        Listener l;
        l.kind = "amqp";
        l.event_types.emplace_back("#");
        l.format = "cloudevents";
        if (exchange != "amq.topic") l.settings["exchange"] = exchange;
        all.push_back(l);
    }
    if (mode == NotifierOptions::OutboxMode::durable) {
        ListenerStore s(o.store.path);
        for (auto& l : all) s.create(l);
        return std::make_unique<Notifier>(o);
    }
    auto n = std::make_unique<Notifier>(o);
    for (auto& l : all) n->listeners().create(l);
    return n;
}

// Fires `count` events from one thread (one fire() each, or fire() of `batch` events at a
// time) and waits until the broker accepted every message. Messages per second.
double notify_rate(NotifierOptions::OutboxMode mode, int count, int listeners = 1, int batch = 1) {
    Store store;
    auto n = make_notifier(store, mode, RetryPolicy{}, listeners);
    n->fire(sample_event(-1));  // connect first, as the raw sender's clock starts once connected
    if (!n->flush(clock_type::now() + std::chrono::seconds(30))) throw std::runtime_error("no broker");
    std::vector<Event> events;
    if (batch > 1) {
        for (int i = 0; i < batch; ++i) events.push_back(sample_event(i));
    }
    const auto start = clock_type::now();
    if (batch > 1) {
        for (int i = 0; i < count; i += batch) n->fire(std::span<const Event>(events));
    } else {
        for (int i = 0; i < count; ++i) n->fire(sample_event(i));
    }
    if (!n->flush(clock_type::now() + std::chrono::minutes(10))) throw std::runtime_error("not all accepted");
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    for (const auto& s : n->stats()) {
        if (s.delivered != static_cast<std::uint64_t>(count) + 1 || s.dead != 0) {
            throw std::runtime_error("listener " + s.listener_id + ": delivered " + std::to_string(s.delivered) + " of " +
                                     std::to_string(count + 1) + ", dead " + std::to_string(s.dead));
        }
    }
    return static_cast<double>(count) * listeners / seconds;
}

// Raw Proton senders, one per exchange, `count` messages each, optionally through a bare
// SQLite outbox. Messages per second.
double raw_rate(int count, int exchanges = 1, bool outbox = false) {
    const auto formatted = format_message(sample_event(1), "cloudevents");
    Store store;
    notify::bench::RawSender sender(amqp_url, bench_exchanges(exchanges), formatted.subject, formatted.body, count,
                                    outbox ? (store.dir / "raw.db").string() : std::string());
    const double seconds = sender.run();
    if (sender.accepted() != count * exchanges) throw std::runtime_error("raw sender: not all accepted");
    return static_cast<double>(count) * exchanges / seconds;
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

// CPU seconds used so far by this process (all threads) and its waited-for children.
double client_cpu_seconds() {
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) + seconds(children.ru_stime);
}

// CPU seconds used so far by the broker (scripts/broker writes its pid), 0 when unknown.
double broker_cpu_seconds() {
    const char* dir = std::getenv("NOTIFY_TEST_BROKER");
    if (dir == nullptr) return 0;
    std::ifstream pid_file(std::string(dir) + "/rabbit.pid");
    std::string pid;
    if (!(pid_file >> pid)) return 0;
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return 0;
    std::istringstream fields(line.substr(line.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Row {
    const char* name;
    std::function<double()> run;  // messages per second
    int messages = 0;  // per run, when not the table's
    double best = 0;
    double client_us = 0, broker_us = 0;  // CPU per message in the best run
};

// Runs every row 3 times, interleaved (so that a slow minute of this machine hits them
// alike), and prints the best of each against the first row, with the CPU each message
// cost this process (the sender, or notify) and the broker in that run: on 2 cores the
// two share, so a sender's own CPU per message is throughput the broker does not get.
// With `data`, also appends "table<TAB>row<TAB>msg/s" lines to it for scripts/bench's figures.
// --rows TEXT: only the rows whose name holds TEXT run, besides the baseline (for profiling).
const char* row_filter = nullptr;

void best_of_3(const char* table, std::vector<Row>& rows, int messages, FILE* data) {
    const auto wanted = [&](const Row& row) {
        return row_filter == nullptr || &row == &rows.front() || std::strstr(row.name, row_filter) != nullptr;
    };
    for (int run = 0; run < 3; ++run) {
        for (auto& row : rows) {
            if (!wanted(row)) continue;
            const double client = client_cpu_seconds(), broker = broker_cpu_seconds();
            const double rate = row.run();
            if (rate <= row.best) continue;
            row.best = rate;
            const int n = row.messages > 0 ? row.messages : messages;
            row.client_us = (client_cpu_seconds() - client) * 1e6 / n;
            row.broker_us = (broker_cpu_seconds() - broker) * 1e6 / n;
        }
    }
    std::printf("| sender | msg/s | vs %s | sender CPU us/msg | broker CPU us/msg |\n|---|---:|---:|---:|---:|\n",
                rows.front().name);
    for (const auto& row : rows) {
        if (!wanted(row)) continue;
        std::printf("| %s | %.0f | %.2fx | %.1f | %.1f |\n", row.name, row.best, row.best / rows.front().best,
                    row.client_us, row.broker_us);
        if (data != nullptr) std::fprintf(data, "%s\t%s\t%.0f\n", table, row.name, row.best);
    }
    std::fflush(stdout);
}

void throughput_table(FILE* data) {
    using Mode = NotifierOptions::OutboxMode;
    const int count = quick ? 5000 : 50000;
    std::printf("\n## Confirmed, durable messages to amq.topic, %d per run (best of 3)\n\n", count);
    std::vector<Row> one{
        {"raw Proton C++ sender (baseline)", [&] { return raw_rate(count); }},
        {"raw Proton C++ sender + raw SQLite outbox", [&] { return raw_rate(count, 1, true); }},
        {"notify, durable outbox", [&] { return notify_rate(Mode::durable, count); }},
        {"notify, durable outbox, fire() of 1000 events", [&] { return notify_rate(Mode::durable, count, 1, 1000); }},
        {"notify, in-memory outbox", [&] { return notify_rate(Mode::memory, count); }},
        {"pika 1.2, publisher confirms", [&] { return pika_rate(count / 5); }, count / 5},
    };
    best_of_3("1 listener", one, count, data);

    // 10 listeners, each on its own exchange: every event is 10 messages.
    const int events = count / 10;
    std::printf("\n## 10 listeners on 10 exchanges, %d events (%d messages) per run (best of 3)\n\n", events,
                events * 10);
    std::vector<Row> ten{
        {"10 raw Proton C++ senders, one connection (baseline)", [&] { return raw_rate(events, 10); }},
        {"10 raw Proton C++ senders + raw SQLite outbox", [&] { return raw_rate(events, 10, true); }},
        {"notify, durable outbox", [&] { return notify_rate(Mode::durable, events, 10); }},
        {"notify, in-memory outbox", [&] { return notify_rate(Mode::memory, events, 10); }},
    };
    // The raw senders need the exchanges that notify's listeners create on first use.
    notify_rate(Mode::memory, 10, 10);
    best_of_3("10 listeners", ten, events * 10, data);
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
    FILE* data = nullptr;        // --data FILE: the throughput figures as TSV, for plotting
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = std::fopen(argv[++i], "w");
            if (data == nullptr) {
                std::fprintf(stderr, "amqp_bench: cannot write %s\n", argv[i]);
                return 2;
            }
        } else if (std::strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            row_filter = argv[++i];
        } else if (std::set<std::string>{"throughput", "memory", "broker-down"}.count(argv[i]) != 0) {
            only.insert(argv[i]);
        } else {
            std::fprintf(stderr, "amqp_bench: unknown argument '%s' (usage: amqp_bench [--quick] [--data FILE] [--rows TEXT] [throughput|memory|broker-down]...)\n", argv[i]);
            return 2;
        }
    }
    if (row_filter != nullptr && data != nullptr) {
        std::fprintf(stderr, "amqp_bench: --rows leaves rows out of the figures: not with --data\n");
        return 2;
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
        if (wanted("throughput")) throughput_table(data);
        if (wanted("memory")) memory_table();
        if (wanted("broker-down")) broker_down_table();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "amqp_bench: %s\n", e.what());
        return 1;
    }
    if (data != nullptr) std::fclose(data);
    return 0;
}
