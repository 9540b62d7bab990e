// Waiting in tests for something another process or thread does.
#pragma once

#include <chrono>
#include <thread>

namespace notify::test {

// Waits until `done()` or `limit`, looking every 50 ms; true when it happened.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

}  // namespace notify::test
