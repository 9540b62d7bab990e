// The installed `notify serve` killed and restarted, for the cases whose fault is the
// delivering process itself dying.
#pragma once

#include <catch2/catch.hpp>

#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "binary.hpp"
#include "handler_notifier.hpp"

namespace notify::test {

// Starts `notify serve` with `env` `kills` times, each living a random time from `min_ms` to
// `max_ms`, then killed with SIGKILL.
inline void kill_serve_repeatedly(const std::vector<std::string>& env, int kills, int min_ms, int max_ms) {
    using namespace std::chrono_literals;
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> lifetime_ms(min_ms, max_ms);
    for (int k = 0; k < kills; ++k) {
        NotifyProcess serve({"serve"}, env);
        std::this_thread::sleep_for(std::chrono::milliseconds(lifetime_ms(rng)));
        serve.signal(SIGKILL);
        CHECK(serve.wait(10s) == 128 + SIGKILL);
    }
}

// Starts `notify serve` once more and waits until `host` sees every delivery ended, then
// stops it with SIGTERM; how long the restarted serve took (the recovery).
inline std::chrono::steady_clock::duration serve_until_flushed(const std::vector<std::string>& env,
                                                                 HandlerNotifier& host) {
    using namespace std::chrono_literals;
    NotifyProcess serve({"serve"}, env);
    const auto restarted = std::chrono::steady_clock::now();
    REQUIRE(host.notifier->flush(restarted + 120s));
    const auto recovery = std::chrono::steady_clock::now() - restarted;
    serve.signal(SIGTERM);
    CHECK(serve.wait(30s) == 0);
    CHECK(host.notifier->stats().at(0).dead == 0);
    return recovery;
}

}  // namespace notify::test
