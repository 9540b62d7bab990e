// Listener filters (jq programs run by fire()), each figure next to its baseline in the
// same run:
//  1. cost: fire() with filtered listeners against the same listeners without a filter
//     (in-memory outbox, nothing delivered, so that the filter is most of the difference);
//  2. memory: resident size while one thread fires 1,000,000 events through a filter;
//  3. transform: building a message with a transform (what a handler does per attempt)
//     against building it in the listener's format.
// Usage: filter_bench [--quick] [cost|memory|transform]...
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_folder.hpp"
#include "bench_handlers.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/notifier.hpp"
#include "rss.hpp"

using namespace notify::core;
using namespace notify::bench;
using clock_type = std::chrono::steady_clock;

namespace {

bool quick = false;

struct Folder : BenchFolder {
    Folder() : BenchFolder("filter-bench") {}
};

NotifierOptions options_for(const std::filesystem::path& store) {
    NotifierOptions o;
    o.store.path = store;
    o.outbox = NotifierOptions::OutboxMode::memory;
    o.dispatch = false;  // stored only: the filter and the append are what is measured
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<Factory<NoopHandler>>("noop"));
    o.handlers = registry;
    return o;
}

// A store with `n` noop listeners for repo.#, each with `filter` ("" = none).
void add_filtered(const std::filesystem::path& store, int n, const std::string& filter) {
    ListenerStore listeners(store);
    for (int i = 0; i < n; ++i) {
        Listener l;
        l.kind = "noop";
        l.event_types.emplace_back("repo.#");
        l.filter = filter;
        listeners.create(l);
    }
}

// Microseconds per fire(), best of three runs of `events` events.
double us_per_fire(int listeners, const std::string& filter, int events) {
    Folder dir;
    add_filtered(dir.path / "notify.db", listeners, filter);
    Notifier notifier(options_for(dir.path / "notify.db"));
    std::vector<Event> batch;
    for (int i = 0; i < events; ++i) batch.push_back(sample_event());
    for (int i = 0; i < 1000; ++i) notifier.fire(batch[static_cast<std::size_t>(i % events)]);  // warm up
    double best = 1e18;
    for (int run = 0; run < 3; ++run) {
        const auto start = clock_type::now();
        for (const auto& e : batch) notifier.fire(e);
        best = std::min(best, std::chrono::duration<double, std::micro>(clock_type::now() - start).count() / events);
    }
    return best;
}

void cost_table() {
    const int events = quick ? 5000 : 50000;
    std::printf("\n## fire() with filtered listeners against the same listeners unfiltered (in-memory outbox, "
                "not delivering, %d events, best of 3)\n\n", events);
    std::printf("| listeners | filter | baseline: no filter, us per fire() | with the filter, us per fire() | "
                "extra us per event and listener |\n|---:|---|---:|---:|---:|\n");
    struct Case {
        int listeners;
        const char* filter;
        const char* what;
    };
    for (const Case c : {Case{1, R"(.data.repo_id == "zoo")", "`.data.repo_id == \"zoo\"` (takes it)"},
                         Case{1, R"(.data.repo_id == "ark")", "`.data.repo_id == \"ark\"` (leaves it out)"},
                         Case{1, R"((.data.summary.units_added // 0) > 0)", "`(.data.summary.units_added // 0) > 0`"},
                         Case{10, R"(.data.repo_id == "zoo")", "`.data.repo_id == \"zoo\"` on each"}}) {
        const double base = us_per_fire(c.listeners, "", events);
        const double filtered = us_per_fire(c.listeners, c.filter, events);
        std::printf("| %d | %s | %.2f | %.2f | %.2f |\n", c.listeners, c.what, base, filtered,
                    (filtered - base) / c.listeners);
        std::fflush(stdout);
    }
}

void memory_table() {
    const int events = quick ? 100000 : 1000000;
    std::printf("\n## Resident memory while one thread fires %d events through a filter that leaves them out "
                "(in-memory outbox)\n\n", events);
    std::printf("| events fired | RSS MiB |\n|---:|---:|\n");
    Folder dir;
    add_filtered(dir.path / "notify.db", 1, R"(.data.repo_id == "ark")");
    Notifier notifier(options_for(dir.path / "notify.db"));
    const Event event = sample_event();
    for (int i = 1; i <= events; ++i) {
        notifier.fire(event);
        if (i == 1 || i % (events / 5) == 0) std::printf("| %d | %.1f |\n", i, static_cast<double>(rss_kib()) / 1024);
    }
}

void transform_table() {
    const int messages = quick ? 20000 : 200000;
    std::printf("\n## A message built with a transform against the format's own (format_message(), %d messages, "
                "best of 3)\n\n", messages);
    std::printf("| transform | baseline: cloudevents, us per message | with the transform, us per message |\n"
                "|---|---:|---:|\n");
    const Event event = sample_event();
    const auto us_per_message = [&](const Listener& l) {
        double best = 1e18;
        std::size_t bytes = 0;
        for (int run = 0; run < 3; ++run) {
            const auto start = clock_type::now();
            for (int i = 0; i < messages; ++i) bytes += format_message(event, l).body.size();
            best = std::min(best, std::chrono::duration<double, std::micro>(clock_type::now() - start).count() / messages);
        }
        if (bytes == 0) std::abort();
        return best;
    };
    Listener plain;
    plain.kind = "noop";
    plain.event_types.emplace_back("#");
    for (const char* program : {"{repo: .data.repo_id, at: .time}", "{event_type: .type, payload: .data, call_report: null}"}) {
        Listener shaped = plain;
        shaped.transform = program;
        std::printf("| `%s` | %.2f | %.2f |\n", program, us_per_message(plain), us_per_message(shaped));
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::pair<std::string, void (*)()>> tables{
        {"cost", cost_table}, {"memory", memory_table}, {"transform", transform_table}};
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::any_of(tables.begin(), tables.end(), [&](const auto& t) { return t.first == argv[i]; })) {
            only.emplace_back(argv[i]);
        } else {
            std::fprintf(stderr, "filter_bench: unknown argument '%s' (usage: filter_bench [--quick] [cost|memory|transform]...)\n",
                         argv[i]);
            return 2;
        }
    }
    std::printf("# notify filter bench%s\n", quick ? " (quick)" : "");
    for (const auto& [name, run] : tables) {
        if (only.empty() || std::find(only.begin(), only.end(), name) != only.end()) run();
    }
    return 0;
}
