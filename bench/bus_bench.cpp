// EventBus::publish against a raw boost::signals2::signal with the same slots, in one run.
// Each benchmark runs several repetitions; the closing table takes the fastest repetition of
// each (ours and the baseline alike), which filters out time stolen by other VMs.
#include <benchmark/benchmark.h>

#include <boost/signals2/signal.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "notify/core/event_bus.hpp"

using notify::core::Event;
using notify::core::EventBus;
using notify::core::Subscription;

namespace {

constexpr int subscriber_counts[] = {0, 1, 4, 16};

// The same slot body for both: touch the event so the call cannot be optimised away.
void slot_body(const Event& e) { benchmark::DoNotOptimize(e.type().size()); }

struct RawFixture {
    boost::signals2::signal<void(const Event&)> signal;
};

struct BusFixture {
    EventBus bus;
    std::vector<Subscription> subscriptions;
};

// Built before any benchmark runs, so firing threads share them without set-up races.
std::map<int, std::unique_ptr<RawFixture>> raw_fixtures;
std::map<int, std::unique_ptr<BusFixture>> bus_fixtures;
std::unique_ptr<BusFixture> unmatched_fixture;

const Event& matched_event() {
    static const Event event("repo.sync.finish", {{"repo_id", "zoo"}});
    return event;
}

const Event& unmatched_event() {
    static const Event event("employee.it.create", {{"uuid", "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11"}});
    return event;
}

void build_fixtures() {
    for (const int n : subscriber_counts) {
        auto raw = std::make_unique<RawFixture>();
        auto bus = std::make_unique<BusFixture>();
        for (int i = 0; i < n; ++i) {
            raw->signal.connect(&slot_body);
            bus->subscriptions.push_back(bus->bus.subscribe("repo.*.finish", &slot_body));
        }
        raw_fixtures[n] = std::move(raw);
        bus_fixtures[n] = std::move(bus);
    }
    unmatched_fixture = std::make_unique<BusFixture>();
    for (int i = 0; i < 16; ++i) {
        unmatched_fixture->subscriptions.push_back(unmatched_fixture->bus.subscribe("repo.#", &slot_body));
    }
}

void BM_raw_signals2(benchmark::State& state) {
    auto& signal = raw_fixtures.at(static_cast<int>(state.range(0)))->signal;
    const Event& e = matched_event();
    for (auto _ : state) signal(e);
    state.SetItemsProcessed(state.iterations());
}

void BM_bus_matched(benchmark::State& state) {
    const auto& bus = bus_fixtures.at(static_cast<int>(state.range(0)))->bus;
    const Event& e = matched_event();
    for (auto _ : state) bus.publish(e);
    state.SetItemsProcessed(state.iterations());
}

// 16 subscribers listen to repo.#; the published type matches none of them.
void BM_bus_unmatched(benchmark::State& state) {
    const auto& bus = unmatched_fixture->bus;
    const Event& e = unmatched_event();
    for (auto _ : state) bus.publish(e);
    state.SetItemsProcessed(state.iterations());
}

void register_benchmarks() {
    for (const int threads : {1, 2}) {
        for (const int n : subscriber_counts) {
            benchmark::RegisterBenchmark("raw_signals2", BM_raw_signals2)->Arg(n)->Threads(threads)->UseRealTime();
            benchmark::RegisterBenchmark("bus_matched", BM_bus_matched)->Arg(n)->Threads(threads)->UseRealTime();
        }
        benchmark::RegisterBenchmark("bus_unmatched", BM_bus_unmatched)->Arg(16)->Threads(threads)->UseRealTime();
    }
}

// Keeps every run so the summary can put ours next to the baseline.
class CollectingReporter : public benchmark::ConsoleReporter {
public:
    struct Key {
        std::string name;
        long subscribers;
        int threads;
        bool operator<(const Key& o) const {
            return std::tie(name, subscribers, threads) < std::tie(o.name, o.subscribers, o.threads);
        }
    };

    void ReportRuns(const std::vector<Run>& runs) override {
        // Show medians and spread; keep every repetition for the summary.
        std::vector<Run> shown;
        for (const auto& run : runs) {
            if (run.run_type == Run::RT_Aggregate &&
                (run.aggregate_name == "median" || run.aggregate_name == "cv")) {
                shown.push_back(run);
            }
        }
        ConsoleReporter::ReportRuns(shown.empty() ? runs : shown);
        for (const auto& run : runs) {
            if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
            const std::string full = run.benchmark_name();
            const std::string name = full.substr(0, full.find('/'));
            const long n = std::stol(full.substr(full.find('/') + 1));
            const double ns = run.GetAdjustedRealTime();  // aggregate wall ns per publish
            const Key key{name, n, static_cast<int>(run.threads)};
            const auto it = results.find(key);
            if (it == results.end() || ns < it->second) results[key] = ns;
        }
    }

    std::map<Key, double> results;
};

void print_summary(const CollectingReporter& reporter) {
    const auto get = [&](const std::string& name, long n, int threads) {
        const auto it = reporter.results.find({name, n, threads});
        return it == reporter.results.end() ? std::nan("") : it->second;
    };
    std::printf("\nSummary: wall-clock ns per publish, aggregate over firing threads, fastest repetition\n");
    std::printf("| subscribers | threads | raw Signals2 | notify bus | bus / raw | bus Mpublish/s |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|\n");
    for (const int threads : {1, 2}) {
        for (const int n : subscriber_counts) {
            const double raw = get("raw_signals2", n, threads);
            const double bus = get("bus_matched", n, threads);
            std::printf("| %d | %d | %.1f | %.1f | %.2f | %.1f |\n", n, threads, raw, bus, bus / raw, 1e3 / bus);
        }
    }
    for (const int threads : {1, 2}) {
        const double ns = get("bus_unmatched", 16, threads);
        std::printf("| 16, none match | %d | - | %.1f | - | %.1f |\n", threads, ns, 1e3 / ns);
    }
    std::printf("\nTwo-thread aggregate vs one thread (bus): ");
    for (const int n : subscriber_counts) {
        std::printf("%d subs %.2fx%s", n, get("bus_matched", n, 1) / get("bus_matched", n, 2),
                    n == 16 ? "\n" : ", ");
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Defaults first, so flags given on the command line override them.
    std::vector<char*> args{argv[0]};
    std::string repetitions = "--benchmark_repetitions=7";
    std::string min_time = "--benchmark_min_time=0.1";
    args.push_back(repetitions.data());
    args.push_back(min_time.data());
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    argc = static_cast<int>(args.size());
    argv = args.data();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    build_fixtures();
    register_benchmarks();
    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary(reporter);
    benchmark::Shutdown();
    return 0;
}
