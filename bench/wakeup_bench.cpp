// How soon `notify serve` (a delivering Notifier) attempts an event another process fired
// into the same store: watching SQLite's data_version every 2 ms (the default) against
// the 250 ms poll alone (watch_interval = 0, the baseline), and an event fired in the
// delivering process itself. Latency: from just before fire() to the handler's deliver().
// Usage: wakeup_bench [--quick]        (the firing child: wakeup_bench fire STORE N GAP_MS)
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_handlers.hpp"
#include "notify/core/notifier.hpp"

extern char** environ;

using namespace notify::core;
using notify::bench::Factory;
using notify::bench::StampHandler;
using notify::bench::wall_us;
using namespace std::chrono_literals;

namespace {

NotifierOptions options_for(const std::filesystem::path& store, bool dispatch, std::chrono::milliseconds watch) {
    NotifierOptions o;
    o.store.path = store;
    o.dispatch = dispatch;
    o.watch_interval = watch;
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add(std::make_unique<Factory<StampHandler>>("stamp"));
    o.handlers = registry;
    o.log = nullptr;
    return o;
}

Event stamped() { return Event("repo.sync.finish", {{"repo_id", "zoo"}, {"fired_us", wall_us()}}); }

// The child: fires N events, GAP_MS apart, from a process that does not deliver.
int fire_child(const char* store, int n, int gap_ms) {
    Notifier notifier(options_for(store, false, 0ms));
    for (int i = 0; i < n; ++i) {
        notifier.fire(stamped());
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    return 0;
}

bool wait_for(std::size_t count, std::chrono::seconds limit) {
    std::unique_lock lock(StampHandler::mutex);
    return StampHandler::changed.wait_for(lock, limit, [&] { return StampHandler::latencies_ms.size() >= count; });
}

void report(const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
    std::printf("| %-52s | %6zu | %8.2f | %8.2f | %8.2f |\n", what, ms.size(), at(0.5), at(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "fire") == 0) return fire_child(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int n = quick ? 40 : 400;
    const int gap_ms = 7;  // not a multiple of the 2 ms watch or the 250 ms poll

    char pattern[] = "/tmp/notify-wakeup-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    const std::filesystem::path folder = pattern;
    const auto store = folder / "notify.db";
    {
        ListenerStore listeners(store);
        Listener l;
        l.kind = "stamp";
        l.event_types.emplace_back("repo.#");
        listeners.create(l);
    }

    std::printf("| %-52s | %6s | %8s | %8s | %8s |\n", "fire -> handler", "events", "p50 ms", "p99 ms", "max ms");
    std::printf("|%s|--------|----------|----------|----------|\n", std::string(54, '-').c_str());
    struct Case {
        const char* name;
        std::chrono::milliseconds watch;
    };
    for (const Case& c : {Case{"another process, poll every 250 ms only (baseline)", 0ms},
                          Case{"another process, data_version watched every 2 ms", 2ms}}) {
        {
            std::lock_guard lock(StampHandler::mutex);
            StampHandler::latencies_ms.clear();
        }
        Notifier serve(options_for(store, true, c.watch));
        std::string self = "/proc/self/exe", fire = "fire", path = store.string(), count = std::to_string(n),
                    gap = std::to_string(gap_ms);
        char* child_argv[] = {self.data(), fire.data(), path.data(), count.data(), gap.data(), nullptr};
        pid_t child = 0;
        if (posix_spawn(&child, "/proc/self/exe", nullptr, nullptr, child_argv, environ) != 0) return 1;
        int status = 0;
        waitpid(child, &status, 0);
        const bool all = wait_for(static_cast<std::size_t>(n), 30s);
        serve.stop(std::chrono::steady_clock::now() + 2s);
        std::lock_guard lock(StampHandler::mutex);
        if (!all || status != 0) {
            std::printf("%s: only %zu of %d delivered\n", c.name, StampHandler::latencies_ms.size(), n);
            return 1;
        }
        report(c.name, StampHandler::latencies_ms);
    }
    {
        {
            std::lock_guard lock(StampHandler::mutex);
            StampHandler::latencies_ms.clear();
        }
        Notifier serve(options_for(store, true, 2ms));
        for (int i = 0; i < n; ++i) {
            serve.fire(stamped());
            std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
        }
        if (!wait_for(static_cast<std::size_t>(n), 30s)) return 1;
        serve.stop(std::chrono::steady_clock::now() + 2s);
        std::lock_guard lock(StampHandler::mutex);
        report("the delivering process itself", StampHandler::latencies_ms);
    }
    std::filesystem::remove_all(folder);
    return 0;
}
