// What `notify serve` tells the service manager, in systemd's notify protocol (the
// datagrams sd_notify(3) documents): READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, STATUS=.
// Without $NOTIFY_SOCKET every call does nothing. Not thread-safe: serve's main thread only.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace notify::cli {

class ServiceManager {
public:
    // Reads $WATCHDOG_USEC (and $WATCHDOG_PID) once.
    ServiceManager();

    void ready(const std::string& status) const;
    void reloading() const;
    void stopping(const std::string& status) const;
    void status(const std::string& status) const;
    void watchdog() const;
    // How often to send watchdog(): half of WatchdogSec, when systemd asks for it.
    std::optional<std::chrono::milliseconds> watchdog_every() const noexcept { return watchdog_every_; }

private:
    void send(const std::string& state) const;
    std::optional<std::chrono::milliseconds> watchdog_every_;
};

}  // namespace notify::cli
