// SIGINT and SIGTERM as requests to stop, for the long-running commands (internal).
#pragma once

#include <signal.h>

#include <chrono>

namespace notify::cli {

// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after) while it
// lives, so they wait to be taken by stop_requested() or wait_for_stop(); restores the old
// mask after.
class StopSignals {
public:
    StopSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
    }
    ~StopSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // True once SIGINT or SIGTERM arrived (it is consumed); waits at most `wait`.
    bool stop_requested(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
        if (stopped_) return true;
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait);
        timespec timeout{static_cast<time_t>(seconds.count()),
                         static_cast<long>(std::chrono::nanoseconds(wait - seconds).count())};
        stopped_ = sigtimedwait(&set_, nullptr, &timeout) > 0;
        return stopped_;
    }

    // Waits for SIGINT or SIGTERM; returns its number.
    int wait_for_stop() {
        int signal = 0;
        while (sigwait(&set_, &signal) != 0) {
        }
        stopped_ = true;
        return signal;
    }

private:
    sigset_t set_;
    sigset_t old_;
    bool stopped_ = false;
};

}  // namespace notify::cli
