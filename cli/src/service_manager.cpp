// sd_notify messages for notify serve.
#include "service_manager.hpp"

#include <systemd/sd-daemon.h>

#include "notify/core/text.hpp"

namespace notify::cli {

ServiceManager::ServiceManager() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_every_ = std::chrono::milliseconds(std::max<std::uint64_t>(1, usec / 2000));
    }
}

void ServiceManager::send(const std::string& state) const {
    // Fails only without a service manager listening; serve goes on either way.
    (void)sd_notify(0, state.c_str());
}

void ServiceManager::ready(const std::string& status) const { send("READY=1\nSTATUS=" + core::flatten_line(status)); }

void ServiceManager::reloading() const { send("RELOADING=1"); }

void ServiceManager::stopping(const std::string& status) const {
    send("STOPPING=1\nSTATUS=" + core::flatten_line(status));
}

void ServiceManager::status(const std::string& status) const { send("STATUS=" + core::flatten_line(status)); }

void ServiceManager::watchdog() const { send("WATCHDOG=1"); }

}  // namespace notify::cli
