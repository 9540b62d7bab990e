// Sockets opened for a Cancellation, tracked so that cancel() can cut them.
#include "cancellation.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>

namespace notify::handlers::curl {

namespace {

// Socket -> id of the Cancellation that opened it. One lock for opening, closing and
// cutting, so a socket number is never cut after it was closed and handed out again.
struct Sockets {
    std::mutex mutex;
    std::map<curl_socket_t, std::uint64_t> owner;
};

Sockets& sockets() {
    static Sockets* all = new Sockets();  // never destroyed: connections may close at exit
    return *all;
}

std::atomic<std::uint64_t> next_id{1};

}  // namespace

Cancellation::Cancellation() : id_(next_id.fetch_add(1)) {}

void Cancellation::cancel() noexcept {
    cancelled_.store(true);
    auto& s = sockets();
    std::lock_guard lock(s.mutex);
    for (const auto& [socket, owner] : s.owner) {
        if (owner == id_) ::shutdown(socket, SHUT_RDWR);
    }
}

void Cancellation::watch(CURL* h) {
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &Cancellation::open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, this);
    // The close callback may run long after this object is gone (a cached connection
    // closed at thread exit), so it gets no pointer to it.
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &Cancellation::close_socket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &Cancellation::progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

curl_socket_t Cancellation::open_socket(void* self, curlsocktype, curl_sockaddr* address) {
    auto* c = static_cast<Cancellation*>(self);
    auto& s = sockets();
    std::lock_guard lock(s.mutex);
    if (c->cancelled()) return CURL_SOCKET_BAD;
    const curl_socket_t socket = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (socket != CURL_SOCKET_BAD) s.owner[socket] = c->id_;
    return socket;
}

int Cancellation::close_socket(void*, curl_socket_t socket) {
    auto& s = sockets();
    std::lock_guard lock(s.mutex);
    s.owner.erase(socket);
    return ::close(socket);
}

int Cancellation::progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const Cancellation*>(self)->cancelled() ? 1 : 0;
}

}  // namespace notify::handlers::curl
