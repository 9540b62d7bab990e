// systemd's notify protocol for notify serve: one datagram per message to $NOTIFY_SOCKET
// (a path, or an abstract socket when it starts with '@'), as sd_notify(3) documents it.
// Written here rather than linked from libsystemd, which would bring libgcrypt and
// friends into every program that embeds the CLI library for a few lines of socket code.
#include "service_manager.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "notify/core/text.hpp"

namespace notify::cli {
namespace {

// A positive decimal from the environment, or 0.
unsigned long long env_number(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return 0;
    char* end = nullptr;
    unsigned long long value = std::strtoull(text, &end, 10);
    return *end == '\0' ? value : 0;
}

}  // namespace

ServiceManager::ServiceManager() {
    // $WATCHDOG_PID, when set, names the process the watchdog is meant for.
    auto pid = env_number("WATCHDOG_PID");
    if (pid != 0 && pid != static_cast<unsigned long long>(::getpid())) return;
    auto usec = env_number("WATCHDOG_USEC");
    if (usec > 0) watchdog_every_ = std::chrono::milliseconds(std::max<unsigned long long>(1, usec / 2000));
}

void ServiceManager::send(const std::string& state) const {
    // Without a service manager listening there is nobody to tell; serve goes on either way.
    const char* socket_path = std::getenv("NOTIFY_SOCKET");
    if (socket_path == nullptr) return;
    std::size_t length = std::strlen(socket_path);
    sockaddr_un address{};
    if ((socket_path[0] != '/' && socket_path[0] != '@') || length < 2 || length >= sizeof(address.sun_path)) return;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path, length);
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
    (void)::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), size);
    ::close(fd);
}

void ServiceManager::ready(const std::string& status) const { send("READY=1\nSTATUS=" + core::flatten_line(status)); }

void ServiceManager::reloading() const { send("RELOADING=1"); }

void ServiceManager::stopping(const std::string& status) const {
    send("STOPPING=1\nSTATUS=" + core::flatten_line(status));
}

void ServiceManager::status(const std::string& status) const { send("STATUS=" + core::flatten_line(status)); }

void ServiceManager::watchdog() const { send("WATCHDOG=1"); }

}  // namespace notify::cli
