// Ending transfers at once when a handler stops (internal).
//
// libcurl checks its progress callback only while a transfer moves; SMTP waits for the
// reply to the end of a message (and to QUIT) in a loop that never calls it, for up to
// CURLOPT_SERVER_RESPONSE_TIMEOUT. So a Cancellation also knows the sockets its transfers
// opened, and cancel() shuts them down: every wait on them ends at once, in any phase.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstdint>

namespace notify::handlers::curl {

// Thread-safe. Must outlive the transfers it is given to; the sockets it registered may
// outlive it (libcurl caches connections), which is safe: they are tracked process-wide.
class Cancellation {
public:
    Cancellation();
    Cancellation(const Cancellation&) = delete;
    Cancellation& operator=(const Cancellation&) = delete;

    // Transfers under way end within moments (CURLE_ABORTED_BY_CALLBACK or a receive
    // error), kept connections are cut, and later transfers fail before connecting.
    void cancel() noexcept;
    bool cancelled() const noexcept { return cancelled_.load(); }

    // Installs the callbacks on `handle` for its next transfer.
    void watch(CURL* handle);

private:
    static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int close_socket(void* unused, curl_socket_t socket);
    static int progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

    const std::uint64_t id_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace notify::handlers::curl
