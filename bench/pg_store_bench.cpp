// The PostgreSQL store, each figure next to a baseline measured on the same server in the
// same run:
//  1. fire: durable fire() throughput (dispatch = false, 1 listener) with 1, 2 and 4 firing
//     threads, against a hand-written libpq loop (BEGIN, the same INSERT, COMMIT per event,
//     a connection per thread) into a table like the outbox, with and without the
//     pg_notify() that notify's commit carries; the same fire() on SQLite for reference;
//  2. drain: deliveries/s of 1, 2 and 4 delivering processes (this program's children, each
//     a Notifier with a no-op handler) emptying a backlog of parked deliveries for 4
//     listeners; SQLite for reference;
//  3. latency: fire() in one process to the handler in another that polls only every 60 s,
//     so that LISTEN/NOTIFY alone wakes it; against a bare NOTIFY round trip; SQLite (its
//     data_version watched) for reference.
// Needs a server: NOTIFY_TEST_PG_URL and NOTIFY_TEST_PG_PASSWORD, as scripts/postgres writes
// them to DIR/env (scripts/bench starts one). Every measurement uses a schema of its own,
// dropped afterwards.
// Usage: pg_store_bench [--quick] [fire|drain|latency]...
// (children: pg_store_bench drain-child STORE; pg_store_bench fire-child STORE N GAP_MS;
// STORE is pg:SCHEMA or sqlite:FILE)
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_folder.hpp"
#include "bench_handlers.hpp"
#include "notify/core/notifier.hpp"
#include "notify/store/postgresql.hpp"
#include "pg.hpp"
#include "pg_schema.hpp"

extern char** environ;

using namespace notify::core;
using notify::bench::Factory;
using notify::bench::StampHandler;
using notify::bench::wall_us;
using notify::bench::sample_event;
namespace pg = notify::store::postgresql::pg;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

bool quick = false;

std::string env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) + " is not set: run scripts/bench, or source the env file that "
                                 "scripts/postgres start DIR writes (DIR/env)");
    }
    return value;
}

pg::ConnectOptions server() { return {env("NOTIFY_TEST_PG_URL"), env("NOTIFY_TEST_PG_PASSWORD"), "pg_store_bench"}; }

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

// Counts deliveries and keeps the (steady, system-wide) time of the first and the last.
class CountingHandler : public Handler {
public:
    DeliveryResult deliver(const Delivery&) noexcept override {
        const auto now = steady_ns();
        std::int64_t none = 0;
        first.compare_exchange_strong(none, now);
        auto seen = last.load();
        while (seen < now && !last.compare_exchange_weak(seen, now)) {
        }
        ++count;
        return DeliveryResult::delivered();
    }
    void shutdown(clock_type::time_point) noexcept override {}

    static std::atomic<std::uint64_t> count;
    static std::atomic<std::int64_t> first, last;
};
std::atomic<std::uint64_t> CountingHandler::count{0};
std::atomic<std::int64_t> CountingHandler::first{0}, CountingHandler::last{0};

void quiet_log(LogLevel level, std::string_view message) {
    if (level >= LogLevel::warning) log_to_stderr(level, message);
}

// "pg:SCHEMA" (the server of the environment) or "sqlite:FILE".
StoreLocation location_of(const std::string& store) {
    StoreLocation where;
    if (store.rfind("pg:", 0) == 0) {
        const auto s = server();
        where.url = s.url;
        where.password = s.password;
        where.schema = store.substr(3);
    } else if (store.rfind("sqlite:", 0) == 0) {
        where.path = store.substr(7);
    } else {
        throw std::runtime_error("not a store: " + store);
    }
    return where;
}

NotifierOptions options_for(const std::string& store, bool dispatch) {
    NotifierOptions o;
    o.store = location_of(store);
    o.dispatch = dispatch;
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<Factory<CountingHandler>>("count"));
    registry->add(std::make_unique<Factory<StampHandler>>("stamp"));
    o.handlers = registry;
    o.log = quiet_log;
    return o;
}

std::string random_suffix() {
    std::random_device random;
    return std::to_string(getpid()) + "_" + std::to_string(random() % 1000000);
}

// A schema of the server for one measurement, dropped with everything in it afterwards.
struct Schema {
    std::string name;
    explicit Schema(const std::string& what) : name("bench_" + what + "_" + random_suffix()) {}
    ~Schema() {
        try {
            pg::Connection(server()).exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " +
                                          notify::store::postgresql::quoted_schema(name) + " CASCADE");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "pg_store_bench: could not drop schema %s: %s\n", name.c_str(), e.what());
        }
    }
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;
    std::string store() const { return "pg:" + name; }
};

// A folder for an SQLite store, in the current folder (the VM's disk, as delivery_bench).
struct Folder : notify::bench::BenchFolder {
    Folder() : BenchFolder("bench-pg-sqlite") {}
    std::string store() const { return "sqlite:" + (path / "notify.db").string(); }
};

// CPU time of this process so far, every thread, user and system, in microseconds.
double process_cpu_us() {
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    const auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
    return us(self.ru_utime) + us(self.ru_stime);
}

// Runs fire(thread index) per_thread times on each of `threads` threads, all started
// together; returns events per second over all of them.
double events_per_second(int threads, int per_thread, const std::function<void(int)>& fire, double* cpu_us = nullptr) {
    std::vector<std::thread> pool;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            ++ready;
            while (!go) std::this_thread::yield();
            for (int i = 0; i < per_thread; ++i) fire(t);
        });
    }
    while (ready < threads) std::this_thread::yield();
    const double cpu = process_cpu_us();
    const auto start = clock_type::now();
    go = true;
    for (auto& t : pool) t.join();
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    if (cpu_us != nullptr) *cpu_us = (process_cpu_us() - cpu) / (threads * per_thread);
    return threads * per_thread / seconds;
}

// ---- 1. fire() throughput ----

// The baseline: what a program writing the same row by hand pays, one commit per event.
double raw_per_second(int threads, int per_thread, bool with_notify, const std::string& json, double* cpu_us) {
    Schema schema("raw");
    const std::string s = notify::store::postgresql::quoted_schema(schema.name);
    {
        pg::Connection c(server());
        c.exec("CREATE SCHEMA " + s);
        // notify's outbox table and its index of parked rows (core/postgresql/src/pg_schema.cpp).
        c.exec("CREATE TABLE " + s + ".outbox (seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
               "delivery_id text NOT NULL, listener_id text NOT NULL, event text NOT NULL, created_at bigint NOT NULL, "
               "due_at bigint NOT NULL, owner bigint, attempts integer NOT NULL DEFAULT 0, last_error text, dead_at bigint)");
        c.exec("CREATE INDEX outbox_parked ON " + s + ".outbox (listener_id, due_at, seq) WHERE owner IS NULL AND dead_at IS NULL");
    }
    std::vector<std::unique_ptr<pg::Connection>> connections;
    for (int t = 0; t < threads; ++t) connections.push_back(std::make_unique<pg::Connection>(server()));
    const std::string insert = "INSERT INTO " + s + ".outbox (delivery_id, listener_id, event, created_at, due_at, owner) "
                               "VALUES ($1, $2, $3, $4, $5, NULL) RETURNING seq";
    const std::string channel = "bench_" + schema.name;
    const std::string now = std::to_string(wall_us());
    return events_per_second(threads, per_thread, [&](int t) {
        pg::Connection& c = *connections[static_cast<std::size_t>(t)];
        c.exec("BEGIN");
        c.exec(insert, {"4c3e0b6e-7c1d-5f55-9a7e-2b8f1c0d9e11", "k7m2x9qa", json, now, now});
        if (with_notify) c.exec("SELECT pg_notify($1, '')", {channel});
        c.exec("COMMIT");
    }, cpu_us);
}

double fire_per_second(const std::string& store, int threads, int per_thread, double* cpu_us = nullptr) {
    notify::bench::add_listeners(location_of(store), 1, "count", quiet_log);
    Notifier producer(options_for(store, false));
    const Event e = sample_event();
    return events_per_second(threads, per_thread, [&](int) { producer.fire(e); }, cpu_us);
}

// Best and worst of several runs of one measurement.
struct Runs {
    double best = 0, worst = 0, cpu_us = 0;  // cpu_us: of the best run
    void add(double rate, double cpu) {
        if (rate > best) {
            best = rate;
            cpu_us = cpu;
        }
        worst = worst == 0 ? rate : std::min(worst, rate);
    }
};

void fire_table() {
    const int total = quick ? 1000 : 5000;
    const int repetitions = quick ? 1 : 3;
    std::printf("\n## Durable fire() throughput, 1 listener, store only (dispatch = false), %d events a run, best of %d "
                "runs (their range in brackets)\n\n", total, repetitions);
    std::printf("| firing threads | baseline: raw libpq, INSERT + COMMIT, events/s | raw libpq, INSERT + pg_notify + COMMIT, "
                "events/s | notify fire(), PostgreSQL, events/s | fire() / baseline | this process's CPU us per event: raw "
                "with pg_notify, fire() | notify fire(), SQLite (reference), events/s |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    const std::string json = to_json(sample_event()).dump();
    for (const int threads : {1, 2, 4}) {
        const int per_thread = total / threads;
        Runs raw, raw_notify, ours, sqlite;
        // The order changes from run to run, so that a slow minute of this VM does not always
        // fall on the same column.
        for (int run = 0; run < repetitions; ++run) {
            const auto measure_raw = [&] {
                double cpu = 0;
                double rate = raw_per_second(threads, per_thread, false, json, &cpu);
                raw.add(rate, cpu);
                rate = raw_per_second(threads, per_thread, true, json, &cpu);
                raw_notify.add(rate, cpu);
            };
            const auto measure_ours = [&] {
                double cpu = 0;
                Schema schema("fire");
                const double rate = fire_per_second(schema.store(), threads, per_thread, &cpu);
                ours.add(rate, cpu);
            };
            if (run % 2 == 0) {
                measure_raw();
                measure_ours();
            } else {
                measure_ours();
                measure_raw();
            }
            Folder folder;
            sqlite.add(fire_per_second(folder.store(), threads, per_thread), 0);
        }
        const auto cell = [&](const Runs& r) {
            char text[64];
            if (repetitions == 1) {
                std::snprintf(text, sizeof text, "%.0f", r.best);
            } else {
                std::snprintf(text, sizeof text, "%.0f (%.0f-%.0f)", r.best, r.worst, r.best);
            }
            return std::string(text);
        };
        std::printf("| %d | %s | %s | %s | %.2f | %.0f, %.0f | %s |\n", threads, cell(raw).c_str(), cell(raw_notify).c_str(),
                    cell(ours).c_str(), ours.best / raw.best, raw_notify.cpu_us, ours.cpu_us, cell(sqlite).c_str());
        std::fflush(stdout);
    }
}

// ---- 2. draining a backlog with several processes ----

// A child that is running: its pid, the write end of its stdin, the read end of its stdout.
struct Child {
    pid_t pid = -1;
    int in = -1;
    int out = -1;
};

Child spawn(const std::vector<std::string>& args) {
    // Close-on-exec: a later child must not hold an earlier one's stdin open.
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    Child child;
    const int error = posix_spawn(&child.pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (error != 0) throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(error));
    child.in = to_child[1];
    child.out = from_child[0];
    return child;
}

// Ends `child` (closes its stdin), returns what it printed; throws unless it exited with 0.
std::string finish(Child& child) {
    close(child.in);
    std::string out;
    char buffer[256];
    for (ssize_t n; (n = read(child.out, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    close(child.out);
    int status = 0;
    waitpid(child.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("a child failed: " + out);
    return out;
}

// The child: on a byte from stdin it starts delivering; at the end of stdin it stops and
// prints "delivered started_ns first_ns last_ns".
int drain_child(const std::string& store) {
    char go = 0;
    if (read(0, &go, 1) != 1) return 1;
    auto notifier = std::make_unique<Notifier>(options_for(store, true));
    const auto started = steady_ns();
    while (read(0, &go, 1) > 0) {
    }
    notifier->stop(clock_type::now() + 10s);
    notifier.reset();
    std::printf("%llu %lld %lld %lld\n", static_cast<unsigned long long>(CountingHandler::count.load()),
                static_cast<long long>(started), static_cast<long long>(CountingHandler::first.load()),
                static_cast<long long>(CountingHandler::last.load()));
    return 0;
}

struct DrainResult {
    double seconds = 0;          // from the go to the last delivery of any process
    double startup_ms = 0;       // from the go until the slowest process had its Notifier
    std::vector<unsigned long long> per_process;
    unsigned long long delivered = 0;
};

// One process at a time delivers a listener (docs/delivery.md, Ordering): processes share
// a backlog listener by listener.
constexpr int drain_listeners = 4;

DrainResult drain(const std::string& store, int processes, int n) {
    notify::bench::add_listeners(location_of(store), drain_listeners, "count", quiet_log);
    {
        Notifier producer(options_for(store, false));
        std::vector<Event> events;
        for (int i = 0; i < n / drain_listeners; ++i) events.push_back(sample_event());
        for (std::size_t i = 0; i < events.size(); i += 500) {
            producer.fire(std::span<const Event>(events).subspan(i, std::min<std::size_t>(500, events.size() - i)));
        }
    }
    Notifier watcher(options_for(store, false));
    std::vector<Child> children;
    for (int p = 0; p < processes; ++p) children.push_back(spawn({"pg_store_bench", "drain-child", store}));
    std::this_thread::sleep_for(200ms);  // let them reach their read()
    const auto go = steady_ns();
    for (auto& c : children) {
        if (write(c.in, "g", 1) != 1) throw std::runtime_error("cannot start a child");
    }
    const auto deadline = clock_type::now() + 600s;
    while (!watcher.pending(1).empty()) {
        if (clock_type::now() > deadline) throw std::runtime_error("the backlog was not drained within 600 s");
        std::this_thread::sleep_for(10ms);
    }
    DrainResult r;
    std::int64_t last = go, started = go;
    for (auto& c : children) {
        unsigned long long count = 0;
        long long child_started = 0, first = 0, child_last = 0;
        const auto out = finish(c);
        if (std::sscanf(out.c_str(), "%llu %lld %lld %lld", &count, &child_started, &first, &child_last) != 4) {
            throw std::runtime_error("a child printed: " + out);
        }
        r.per_process.push_back(count);
        r.delivered += count;
        last = std::max<std::int64_t>(last, child_last);
        started = std::max<std::int64_t>(started, child_started);
    }
    r.seconds = static_cast<double>(last - go) / 1e9;
    r.startup_ms = static_cast<double>(started - go) / 1e6;
    const auto stats = watcher.stats();
    const bool dead = std::any_of(stats.begin(), stats.end(), [](const auto& l) { return l.dead != 0; });
    if (r.delivered != static_cast<unsigned long long>(n) || stats.size() != drain_listeners || dead) {
        throw std::runtime_error("drain: " + std::to_string(r.delivered) + " handler calls for " + std::to_string(n) +
                                 " deliveries");
    }
    return r;
}

void drain_table() {
    const int n = quick ? 2000 : 20000;
    std::printf("\n## Draining %d parked deliveries with 1, 2 and 4 delivering processes (no-op handler, %d listeners, "
                "Notifier defaults: 4 workers, listener_concurrency 2)\n\n", n, drain_listeners);
    std::printf("| store | processes | drain s | deliveries/s | vs 1 process | slowest start ms | per process |\n"
                "|---|---:|---:|---:|---:|---:|---|\n");
    for (const bool postgres : {true, false}) {
        double one = 0;
        for (const int processes : {1, 2, 4}) {
            DrainResult r;
            if (postgres) {
                Schema schema("drain");
                r = drain(schema.store(), processes, n);
            } else {
                Folder folder;
                r = drain(folder.store(), processes, n);
            }
            const double rate = n / r.seconds;
            if (processes == 1) one = rate;
            std::string split;
            for (const auto c : r.per_process) split += (split.empty() ? "" : " / ") + std::to_string(c);
            std::printf("| %s | %d | %.2f | %.0f | %.2fx | %.0f | %s |\n", postgres ? "PostgreSQL" : "SQLite (reference)",
                        processes, r.seconds, rate, rate / one, r.startup_ms, split.c_str());
            std::fflush(stdout);
        }
    }
}

// ---- 3. fire -> handler latency across processes ----

// The child: fires N events, GAP_MS apart, from a process that does not deliver.
int fire_child(const std::string& store, int n, int gap_ms) {
    Notifier notifier(options_for(store, false));
    for (int i = 0; i < n; ++i) {
        notifier.fire(Event("repo.sync.finish", {{"repo_id", "zoo"}, {"fired_us", wall_us()}}));
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    return 0;
}

struct Percentiles {
    std::size_t n = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
    return {ms.size(), at(0.5), at(0.9), at(0.99), ms.back()};
}

// A bare NOTIFY round trip: commit an INSERT with pg_notify on one connection, wait on
// another's socket until the notification arrives.
Percentiles raw_notify_latency(int n, int gap_ms) {
    Schema schema("rawlisten");
    const std::string s = notify::store::postgresql::quoted_schema(schema.name);
    pg::Connection writer(server()), listener(server());
    writer.exec("CREATE SCHEMA " + s);
    writer.exec("CREATE TABLE " + s + ".t (seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, event text NOT NULL)");
    const std::string channel = "bench_" + schema.name;
    listener.exec("LISTEN \"" + channel + "\"");
    const std::string json = to_json(sample_event()).dump();
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        const auto t0 = clock_type::now();
        writer.exec("BEGIN");
        writer.exec("INSERT INTO " + s + ".t (event) VALUES ($1)", {json});
        writer.exec("SELECT pg_notify($1, '')", {channel});
        writer.exec("COMMIT");
        while (listener.notifications() == 0) {
            pollfd fd{PQsocket(listener.native()), POLLIN, 0};
            if (poll(&fd, 1, 5000) <= 0) throw std::runtime_error("no notification within 5 s");
        }
        ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    return percentiles(ms);
}

Percentiles cross_process_latency(const std::string& store, int n, int gap_ms) {
    notify::bench::add_listeners(location_of(store), 1, "stamp", quiet_log);
    {
        std::lock_guard lock(StampHandler::mutex);
        StampHandler::latencies_ms.clear();
    }
    auto options = options_for(store, true);
    options.poll_interval = 60s;  // only a wake-up (LISTEN/NOTIFY, data_version) brings work early
    Notifier serve(options);
    Child child = spawn({"pg_store_bench", "fire-child", store, std::to_string(n), std::to_string(gap_ms)});
    finish(child);
    std::unique_lock lock(StampHandler::mutex);
    const bool all = StampHandler::changed.wait_for(lock, 30s, [&] { return StampHandler::latencies_ms.size() >= static_cast<std::size_t>(n); });
    auto ms = StampHandler::latencies_ms;
    lock.unlock();
    serve.stop(clock_type::now() + 5s);
    if (!all) throw std::runtime_error("latency: only " + std::to_string(ms.size()) + " of " + std::to_string(n) + " delivered within 30 s");
    return percentiles(ms);
}

void latency_table() {
    const int n = quick ? 50 : 300;
    const int gap_ms = 20;
    std::printf("\n## fire() in one process to the handler in another, %d events %d ms apart (the delivering process "
                "polls every 60 s; goal: p50 <= 10 ms on PostgreSQL)\n\n", n, gap_ms);
    std::printf("| what | events | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
    const auto row = [](const char* what, const Percentiles& p) {
        std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f |\n", what, p.n, p.p50, p.p90, p.p99, p.max);
        std::fflush(stdout);
    };
    row("baseline: raw libpq, INSERT + pg_notify + COMMIT, to the notification on another connection", raw_notify_latency(n, gap_ms));
    {
        Schema schema("latency");
        row("notify, PostgreSQL: fire() (dispatch = false) to deliver() in another process, woken by LISTEN/NOTIFY",
            cross_process_latency(schema.store(), n, gap_ms));
    }
    Folder folder;
    row("notify, SQLite (reference): the same, woken by data_version watched every 2 ms", cross_process_latency(folder.store(), n, gap_ms));
}

}  // namespace

int main(int argc, char** argv) {
    try {
        notify::store::postgresql::enable();
        if (argc == 3 && std::strcmp(argv[1], "drain-child") == 0) return drain_child(argv[2]);
        if (argc == 5 && std::strcmp(argv[1], "fire-child") == 0) {
            return fire_child(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
        }
        const std::vector<std::pair<std::string, void (*)()>> tables{
            {"fire", fire_table}, {"drain", drain_table}, {"latency", latency_table}};
        std::vector<std::string> only;
        for (int i = 1; i < argc; ++i) {
            if (std::strcmp(argv[i], "--quick") == 0) {
                quick = true;
            } else if (std::any_of(tables.begin(), tables.end(), [&](const auto& t) { return t.first == argv[i]; })) {
                only.emplace_back(argv[i]);
            } else {
                std::fprintf(stderr, "pg_store_bench: unknown argument '%s' (usage: pg_store_bench [--quick] "
                                     "[fire|drain|latency]...)\n", argv[i]);
                return 2;
            }
        }
        {
            pg::Connection c(server());
            std::printf("# notify PostgreSQL store bench%s\n\n%s; fsync %s, synchronous_commit %s, TLS %s\n",
                        quick ? " (quick)" : "", c.exec("SELECT version()").text(0, 0).c_str(),
                        c.exec("SHOW fsync").text(0, 0).c_str(), c.exec("SHOW synchronous_commit").text(0, 0).c_str(),
                        c.encrypted() ? "on" : "off");
        }
        for (const auto& [name, run] : tables) {
            if (only.empty() || std::find(only.begin(), only.end(), name) != only.end()) run();
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pg_store_bench: %s\n", e.what());
        return 1;
    }
}
