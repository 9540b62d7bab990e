// Signals as requests, taken by one waiting thread, for the long-running commands (internal).
#pragma once

#include <signal.h>

#include <chrono>
#include <initializer_list>

namespace notify::cli {

// Blocks `signals` in this thread (and so in every thread started after: notify's
// workers, Proton's container threads, libcurl's resolver threads) while it lives, so
// that they wait to be taken by next() instead of ending the process; restores the old
// mask after. Build it before starting any thread. SIGPIPE is ignored meanwhile: a peer
// that goes away must not end the process.
class Signals {
public:
    explicit Signals(std::initializer_list<int> signals) {
        sigemptyset(&set_);
        for (const int s : signals) sigaddset(&set_, s);
        pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        sigaction(SIGPIPE, &ignore, &old_pipe_);
    }
    ~Signals() {
        sigaction(SIGPIPE, &old_pipe_, nullptr);
        pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    }
    Signals(const Signals&) = delete;
    Signals& operator=(const Signals&) = delete;

    // The next signal of the set that arrived (consumed), waiting at most `wait`; 0 if none.
    int next(std::chrono::milliseconds wait) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait);
        timespec timeout{static_cast<time_t>(seconds.count()),
                         static_cast<long>(std::chrono::nanoseconds(wait - seconds).count())};
        const int signal = sigtimedwait(&set_, nullptr, &timeout);
        return signal > 0 ? signal : 0;
    }

    // Waits for the next signal of the set; returns its number.
    int next() {
        int signal = 0;
        while (sigwait(&set_, &signal) != 0) {
        }
        return signal;
    }

private:
    sigset_t set_;
    sigset_t old_mask_;
    struct sigaction old_pipe_ {};
};

// SIGINT and SIGTERM as requests to stop.
class StopSignals {
public:
    StopSignals() : signals_({SIGINT, SIGTERM}) {}

    // True once SIGINT or SIGTERM arrived (it is consumed); waits at most `wait`.
    bool stop_requested(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
        if (!stopped_) stopped_ = signals_.next(wait) != 0;
        return stopped_;
    }

private:
    Signals signals_;
    bool stopped_ = false;
};

// The name of a signal, e.g. "SIGTERM".
inline const char* signal_name(int signal) {
    switch (signal) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGQUIT: return "SIGQUIT";
        case SIGHUP: return "SIGHUP";
        case SIGUSR1: return "SIGUSR1";
        case SIGUSR2: return "SIGUSR2";
        default: return "a signal";
    }
}

}  // namespace notify::cli
