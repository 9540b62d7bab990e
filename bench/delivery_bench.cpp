// Delivery engine figures, each next to a baseline measured in the same run:
//  1. fire() latency p50/p99/p999, durable and in-memory outbox, 1 and 10 listeners,
//     against one raw SQLite INSERT+COMMIT per event;
//  2. sustained durable fire() throughput with 1, 2 and 4 firing threads, against raw
//     SQLite committing each event from those threads through one connection;
//  3. dispatcher overhead per delivery, against calling the handler directly;
//  4. RSS while 1,000,000 events pile up behind a failing handler;
//  5. fire() of batches (std::span), durable, against raw SQLite committing per event and
//     per batch.
// Usage: delivery_bench [--quick] [--data FILE] [latency|throughput|dispatcher|memory|batch]...
// (--quick: smaller counts, for a smoke run; --data: the fire() latency percentiles as TSV
// lines for scripts/bench's figure; table names: run just those)
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <span>
#include <vector>

#include "notify/core/notifier.hpp"
#include "bench_folder.hpp"
#include "bench_handlers.hpp"
#include "rss.hpp"

using namespace notify::core;
using notify::bench::BenchFolder;
using notify::bench::Factory;
using notify::bench::NoopHandler;
using notify::bench::add_listeners;
using notify::bench::sample_event;
using clock_type = std::chrono::steady_clock;

namespace {

bool quick = false;
FILE* data = nullptr;  // --data FILE: the latency percentiles as TSV, for scripts/bench's figure

class FailingHandler : public Handler {
public:
    DeliveryResult deliver(const Delivery&) noexcept override { return DeliveryResult::retry("broker down"); }
    void shutdown(clock_type::time_point) noexcept override {}
};

// CPU time of this process so far, every thread, user and system, in microseconds.
double process_cpu_us() {
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    const auto us = [](const timeval& t) { return t.tv_sec * 1e6 + static_cast<double>(t.tv_usec); };
    return us(self.ru_utime) + us(self.ru_stime);
}

// CPU time so far of this process's threads whose name starts with `prefix`, in
// microseconds, summed by thread name (Linux: /proc/self/task/*/schedstat).
std::map<std::string, double> thread_cpu_us(std::string_view prefix) {
    std::map<std::string, double> by_name;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm_file(task.path() / "comm"), stat_file(task.path() / "schedstat");
        std::string comm;
        double on_cpu_ns = 0;
        if (!std::getline(comm_file, comm) || !(stat_file >> on_cpu_ns) || !comm.starts_with(prefix)) continue;
        by_name[comm] += on_cpu_ns / 1000;
    }
    return by_name;
}

struct Folder : BenchFolder {
    Folder() : BenchFolder("bench-store") {}
};

NotifierOptions options_for(const std::filesystem::path& store, NotifierOptions::OutboxMode mode) {
    NotifierOptions o;
    o.store.path = store;
    o.outbox = mode;
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<Factory<NoopHandler>>("noop"));
    registry->add(std::make_unique<Factory<FailingHandler>>("failing"));
    o.handlers = registry;
    o.retry.backoff_initial = std::chrono::minutes(10);  // failing deliveries wait, as for a long outage
    o.retry.backoff_max = std::chrono::hours(1);
    return o;
}

struct Percentiles {
    double p50, p99, p999;
};

Percentiles percentiles(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<std::size_t>(q * us.size()))]; };
    return {at(0.50), at(0.99), at(0.999)};
}


// The baseline for a durable append: one INSERT of the same row, one commit, same disk.
struct RawSqlite {
    sqlite3* db = nullptr;
    sqlite3_stmt* insert = nullptr;
    std::mutex mutex;
    explicit RawSqlite(const std::string& path) {
        sqlite3_open(path.c_str(), &db);
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
                         "CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT, listener_id TEXT,"
                         " event TEXT, created_at INTEGER, due_at INTEGER, owner INTEGER)", nullptr, nullptr, nullptr);
        sqlite3_prepare_v2(db, "INSERT INTO t (delivery_id, listener_id, event, created_at, due_at, owner) "
                               "VALUES ('4c3e0b6e-7c1d-5f55-9a7e-2b8f1c0d9e11', 'k7m2x9qa', ?1, 1, 1, 1)",
                           -1, &insert, nullptr);
    }
    ~RawSqlite() {
        sqlite3_finalize(insert);
        sqlite3_close(db);
    }
    void append(const std::string& json, int rows = 1) {
        std::lock_guard lock(mutex);
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        for (int i = 0; i < rows; ++i) {
            sqlite3_bind_text(insert, 1, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
            sqlite3_step(insert);
            sqlite3_reset(insert);
        }
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
};

void latency_table() {
    const int n = quick ? 2000 : 20000;
    std::printf("\n## fire() latency, one firing thread, no-op handler (%d fires)\n\n", n);
    std::printf("| what | listeners | p50 us | p99 us | p999 us |\n|---|---:|---:|---:|---:|\n");
    const Event e = sample_event();
    const std::string json = to_json(e).dump();
    for (const bool durable : {true, false}) {
        Folder dir;
        RawSqlite raw(durable ? (dir.path / "raw.db").string() : ":memory:");
        std::vector<double> us;
        for (int i = 0; i < n; ++i) {
            const auto t = clock_type::now();
            raw.append(json);
            us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t).count());
        }
        const auto p = percentiles(us);
        std::printf("| baseline: raw SQLite INSERT+COMMIT per event (%s) | 1 | %.1f | %.1f | %.1f |\n",
                    durable ? "WAL file" : ":memory:", p.p50, p.p99, p.p999);
        if (data != nullptr) {
            std::fprintf(data, "latency\traw SQLite commit (%s)\t%.1f\t%.1f\t%.1f\n", durable ? "WAL file" : ":memory:",
                         p.p50, p.p99, p.p999);
        }
    }
    // Durable twice: delivering in this process, and only storing (another process, such as
    // notify serve, delivers), which leaves fire() the cores and the store's writer.
    struct Setup {
        NotifierOptions::OutboxMode mode;
        bool deliver;
        const char* outbox;
        const char* label;  // in the figure
    };
    for (const Setup& setup : {Setup{NotifierOptions::OutboxMode::durable, true, "durable outbox", "durable"},
                               Setup{NotifierOptions::OutboxMode::durable, false, "durable outbox, storing only", "durable, storing"},
                               Setup{NotifierOptions::OutboxMode::memory, true, "in-memory outbox", "in-memory"}}) {
        for (const int listeners : {1, 10}) {
            Folder dir;
            add_listeners(dir.path / "notify.db", listeners, "noop");
            auto options = options_for(dir.path / "notify.db", setup.mode);
            options.dispatch = setup.deliver;
            Notifier notifier(options);
            std::vector<double> us;
            for (int i = 0; i < n; ++i) {
                const auto t = clock_type::now();
                notifier.fire(e);
                us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t).count());
            }
            if (setup.deliver) notifier.flush(clock_type::now() + std::chrono::seconds(60));
            const auto p = percentiles(us);
            const char* outbox = setup.outbox;
            std::printf("| notify fire(), %s | %d | %.1f | %.1f | %.1f |\n", outbox, listeners, p.p50, p.p99,
                        p.p999);
            if (data != nullptr) {
                std::fprintf(data, "latency\tnotify fire(), %s, %d listener%s\t%.1f\t%.1f\t%.1f\n", setup.label, listeners,
                             listeners == 1 ? "" : "s", p.p50, p.p99, p.p999);
            }
        }
    }
}

template <typename Fire>
double events_per_second(int threads, int per_thread, Fire fire) {
    std::vector<std::thread> pool;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            ++ready;
            while (!go) std::this_thread::yield();
            for (int i = 0; i < per_thread; ++i) fire();
        });
    }
    while (ready < threads) std::this_thread::yield();
    const auto start = clock_type::now();
    go = true;
    for (auto& t : pool) t.join();
    return threads * per_thread / std::chrono::duration<double>(clock_type::now() - start).count();
}

void throughput_table() {
    const int per_thread_total = quick ? 10000 : 100000;
    std::printf("\n## Sustained durable fire() throughput, 1 listener, no-op handler delivering meanwhile\n\n");
    std::printf("| firing threads | baseline: raw SQLite, a commit per event, events/s | notify fire(), store only (no delivery in this process), events/s | notify fire() while delivering, events/s | delivered meanwhile |\n");
    std::printf("|---:|---:|---:|---:|---:|\n");
    const Event e = sample_event();
    const std::string json = to_json(e).dump();
    for (const int threads : {1, 2, 4}) {
        const int per_thread = per_thread_total / threads;
        Folder raw_dir;
        RawSqlite raw((raw_dir.path / "raw.db").string());
        const double baseline = events_per_second(threads, per_thread, [&] { raw.append(json); });

        double store_only = 0;
        {
            Folder dir;
            add_listeners(dir.path / "notify.db", 1, "noop");
            auto o = options_for(dir.path / "notify.db", NotifierOptions::OutboxMode::durable);
            o.dispatch = false;
            Notifier producer(o);
            store_only = events_per_second(threads, per_thread, [&] { producer.fire(e); });
        }
        Folder dir;
        add_listeners(dir.path / "notify.db", 1, "noop");
        Notifier notifier(options_for(dir.path / "notify.db", NotifierOptions::OutboxMode::durable));
        const double ours = events_per_second(threads, per_thread, [&] { notifier.fire(e); });
        const auto stats = notifier.stats();
        const auto delivered_before_flush = threads * per_thread - (stats.empty() ? 0 : stats[0].pending + stats[0].in_flight);
        notifier.flush(clock_type::now() + std::chrono::seconds(120));
        std::printf("| %d | %.0f | %.0f | %.0f | %lld of %d |\n", threads, baseline, store_only, ours,
                    static_cast<long long>(delivered_before_flush), threads * per_thread);
    }
}

// A consumer of a durable outbox written by hand on one thread, doing the store work notify
// does per delivery: claim the store's rows 256 at a time with notify's own claim
// statement (reading the columns notify reads), parse each event's JSON (unless `parse` is
// false: the store's share alone), and record 256 outcomes to a commit (delete the rows,
// add to the listener's delivered count). Checkpoints are left to nobody, as notify leaves
// them to another connection. Returns us per delivery.
double raw_outbox_consumer_us(const std::filesystem::path& store, int n, bool parse) {
    sqlite3* db = nullptr;
    sqlite3_open(store.c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;", nullptr,
                 nullptr, nullptr);
    sqlite3_stmt* claim = nullptr;
    sqlite3_stmt* remove = nullptr;
    sqlite3_stmt* count = nullptr;
    sqlite3_prepare_v2(db, "UPDATE outbox SET owner = 1 WHERE seq IN (SELECT seq FROM outbox WHERE owner IS NULL "
                           "AND dead_at IS NULL AND listener_id = ?2 AND due_at <= ?1 ORDER BY due_at, seq LIMIT 256) "
                           "RETURNING seq, delivery_id, listener_id, event, created_at, due_at, attempts, last_error, "
                           "dead_at, owner",
                       -1, &claim, nullptr);
    sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE seq = ?1 AND owner = 1", -1, &remove, nullptr);
    sqlite3_prepare_v2(db, "INSERT INTO delivery_counts (listener_id, delivered, retried) VALUES (?1, ?2, 0) "
                           "ON CONFLICT (listener_id) DO UPDATE SET delivered = delivered + excluded.delivered",
                       -1, &count, nullptr);
    std::string listener_id;  // the store's one listener
    sqlite3_stmt* listener = nullptr;
    sqlite3_prepare_v2(db, "SELECT id FROM listeners", -1, &listener, nullptr);
    if (sqlite3_step(listener) == SQLITE_ROW) listener_id = reinterpret_cast<const char*>(sqlite3_column_text(listener, 0));
    sqlite3_finalize(listener);
    int claimed_total = 0, deleted = 0;
    std::size_t parsed_keys = 0;
    struct Claimed {
        sqlite3_int64 seq;
        std::string delivery_id, event;
    };
    std::vector<Claimed> claimed;
    const auto t0 = clock_type::now();
    while (true) {
        claimed.clear();
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        sqlite3_bind_int64(claim, 1, std::numeric_limits<sqlite3_int64>::max());
        sqlite3_bind_text(claim, 2, listener_id.data(), static_cast<int>(listener_id.size()), SQLITE_STATIC);
        while (sqlite3_step(claim) == SQLITE_ROW) {
            const auto text = [&](int column) {
                const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(claim, column));
                return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(claim, column)));
            };
            claimed.push_back({sqlite3_column_int64(claim, 0), text(1), text(3)});
        }
        sqlite3_reset(claim);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        if (claimed.empty()) break;
        claimed_total += static_cast<int>(claimed.size());
        for (const auto& c : claimed) parsed_keys += parse ? nlohmann::json::parse(c.event).size() : c.delivery_id.size();
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        for (const auto& c : claimed) {
            sqlite3_bind_int64(remove, 1, c.seq);
            if (sqlite3_step(remove) == SQLITE_DONE) deleted += sqlite3_changes(db);
            sqlite3_reset(remove);
        }
        sqlite3_bind_text(count, 1, listener_id.data(), static_cast<int>(listener_id.size()), SQLITE_STATIC);
        sqlite3_bind_int64(count, 2, static_cast<sqlite3_int64>(claimed.size()));
        sqlite3_step(count);
        sqlite3_reset(count);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
    sqlite3_finalize(claim);
    sqlite3_finalize(remove);
    sqlite3_finalize(count);
    sqlite3_close(db);
    if (claimed_total != n || deleted != n || parsed_keys == 0) {
        throw std::runtime_error("the raw outbox consumer claimed " + std::to_string(claimed_total) + " and deleted " +
                                 std::to_string(deleted) + " of " + std::to_string(n) + " rows");
    }
    return us / n;
}

// `n` deliveries parked in a fresh durable store with one listener.
void park_deliveries(const std::filesystem::path& store, int n) {
    add_listeners(store, 1, "noop");
    auto o = options_for(store, NotifierOptions::OutboxMode::durable);
    o.dispatch = false;
    Notifier producer(o);
    const Event e = sample_event();
    for (int i = 0; i < n; ++i) producer.fire(e);
}

void dispatcher_table() {
    const int n = quick ? 5000 : 50000;
    std::printf("\n## Dispatcher overhead per delivery (%d parked deliveries, no-op handler)\n\n", n);
    Folder dir;
    const auto store = dir.path / "notify.db";
    const auto raw_store = dir.path / "raw.db";
    const auto raw_store_only = dir.path / "raw-store-only.db";
    park_deliveries(store, n);
    park_deliveries(raw_store, n);
    park_deliveries(raw_store_only, n);
    NoopHandler direct;
    auto listener = std::make_shared<const Listener>();
    const Delivery d{"id", std::make_shared<const Event>(sample_event()), listener, 1, {}};
    const auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) direct.deliver(d);
    const double direct_us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
    double cpu = process_cpu_us();
    const double raw_us = raw_outbox_consumer_us(raw_store, n, true);
    const double raw_cpu = (process_cpu_us() - cpu) / n;
    cpu = process_cpu_us();
    const double raw_store_us = raw_outbox_consumer_us(raw_store_only, n, false);
    const double raw_store_cpu = (process_cpu_us() - cpu) / n;

    const auto t1 = clock_type::now();
    cpu = process_cpu_us();
    Notifier notifier(options_for(store, NotifierOptions::OutboxMode::durable));
    notifier.flush(clock_type::now() + std::chrono::seconds(300));
    const double total_us = std::chrono::duration<double, std::micro>(clock_type::now() - t1).count();
    const double notify_cpu = (process_cpu_us() - cpu) / n;
    std::printf("| what | us per delivery | deliveries/s | CPU us per delivery (all threads) |\n|---|---:|---:|---:|\n");
    std::printf("| baseline: the handler called directly | %.3f | %.0f | - |\n", direct_us, 1e6 / direct_us);
    std::printf("| reference: an outbox consumer by hand on raw SQLite, one thread (claim 256 a commit, parse, delete and count 256 a commit) | %.1f | %.0f | %.1f |\n",
                raw_us, 1e6 / raw_us, raw_cpu);
    std::printf("| reference: the same, the store's share only (claim, delete and count, no parse) | %.1f | %.0f | %.1f |\n",
                raw_store_us, 1e6 / raw_store_us, raw_store_cpu);
    std::printf("| notify: claim from the outbox, parse, deliver, record (4 workers) | %.1f | %.0f | %.1f |\n",
                total_us / n, n * 1e6 / total_us, notify_cpu);
    // Read while the notifier still runs: its threads end with it. Only this notifier's
    // threads are alive here (the producers that parked the rows have stopped).
    std::printf("\nnotify's CPU by thread, us per delivery:");
    for (const auto& [name, us] : thread_cpu_us("notify-")) std::printf(" %s %.1f;", name.c_str(), us / n);
    std::printf(" the firing thread (here only waiting in flush()) not counted.\n");
}

void memory_table() {
    const long n = quick ? 100000 : 1000000;
    std::printf("\n## RSS while %ld events pile up behind a failing handler (durable outbox, 2 firing threads)\n\n", n);
    Folder dir;
    const auto store = dir.path / "notify.db";
    add_listeners(store, 1, "failing");
    Notifier notifier(options_for(store, NotifierOptions::OutboxMode::durable));
    const Event e = sample_event();
    std::printf("| events fired | RSS MiB | store file + WAL MiB |\n|---:|---:|---:|\n");
    const auto file_mib = [&] {
        std::error_code ec;
        double bytes = 0;
        for (const auto* suffix : {"", "-wal"}) {
            const auto size = std::filesystem::file_size(store.string() + suffix, ec);
            if (!ec) bytes += static_cast<double>(size);
        }
        return bytes / (1 << 20);
    };
    long fired = 0;
    const long step = n / 5;
    std::printf("| 0 | %.1f | %.1f |\n", notify::bench::rss_kib() / 1024.0, file_mib());
    while (fired < n) {
        events_per_second(2, static_cast<int>(step / 2), [&] { notifier.fire(e); });
        fired += step;
        std::printf("| %ld | %.1f | %.1f |\n", fired, notify::bench::rss_kib() / 1024.0, file_mib());
    }
    const auto stats = notifier.stats();
    std::printf("\nOutbox afterwards: %llu pending, %llu held by the dispatcher, %llu retries recorded.\n",
                static_cast<unsigned long long>(stats[0].pending), static_cast<unsigned long long>(stats[0].in_flight),
                static_cast<unsigned long long>(stats[0].retried));
    notifier.stop(clock_type::now() + std::chrono::seconds(5));
}

void batch_table() {
    const int n = quick ? 20000 : 200000;
    std::printf("\n## Durable fire() of batches, 1 listener, store only (%d events, one firing thread)\n\n", n);
    std::printf("| events per commit | baseline: raw SQLite, events/s | notify fire(std::span), events/s |\n");
    std::printf("|---:|---:|---:|\n");
    const std::string json = to_json(sample_event()).dump();
    for (const int batch : {1, 100, 1000, 10000}) {
        Folder raw_dir;
        RawSqlite raw((raw_dir.path / "raw.db").string());
        auto start = clock_type::now();
        for (int i = 0; i < n; i += batch) raw.append(json, batch);
        const double baseline = n / std::chrono::duration<double>(clock_type::now() - start).count();

        Folder dir;
        add_listeners(dir.path / "notify.db", 1, "noop");
        auto o = options_for(dir.path / "notify.db", NotifierOptions::OutboxMode::durable);
        o.dispatch = false;
        Notifier producer(o);
        std::vector<Event> events;  // fresh events (own ids), made before the clock starts
        for (int i = 0; i < n; ++i) events.push_back(sample_event());
        start = clock_type::now();
        for (int i = 0; i < n; i += batch) {
            producer.fire(std::span<const Event>(events).subspan(static_cast<std::size_t>(i), static_cast<std::size_t>(batch)));
        }
        const double ours = n / std::chrono::duration<double>(clock_type::now() - start).count();
        std::printf("| %d | %.0f | %.0f |\n", batch, baseline, ours);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::pair<std::string, void (*)()>> tables{{"latency", latency_table},
                                                                 {"throughput", throughput_table},
                                                                 {"dispatcher", dispatcher_table},
                                                                 {"memory", memory_table},
                                                                 {"batch", batch_table}};
    const char* usage = "usage: delivery_bench [--quick] [--data FILE] [latency|throughput|dispatcher|memory|batch]...";
    std::vector<std::string> only;  // table names given: run just those
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = std::fopen(argv[++i], "w");
            if (data == nullptr) {
                std::fprintf(stderr, "delivery_bench: cannot write %s\n", argv[i]);
                return 2;
            }
        } else if (std::any_of(tables.begin(), tables.end(), [&](const auto& t) { return t.first == argv[i]; })) {
            only.emplace_back(argv[i]);
        } else {
            std::fprintf(stderr, "delivery_bench: unknown argument '%s' (%s)\n", argv[i], usage);
            return 2;
        }
    }
    std::printf("# notify delivery bench%s\n", quick ? " (quick)" : "");
    for (const auto& [name, run] : tables) {
        if (only.empty() || std::find(only.begin(), only.end(), name) != only.end()) run();
        if (name == "latency" && data != nullptr) std::fclose(data);
    }
    return 0;
}
