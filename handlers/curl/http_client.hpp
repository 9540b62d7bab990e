// HTTP requests through libcurl, shared by the handlers (internal: never installed).
// Transport problems are values, not exceptions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cancellation.hpp"

namespace notify::handlers::curl {

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::string body;
    std::vector<std::string> headers;  // "Name: value"
    std::string username;               // basic auth when not empty
    std::string password;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds total_timeout{30000};
    std::string ca_file;                // empty: the system trust store
    long max_redirects = 0;             // followed only within the URL's scheme, host and port; a
                                        // POST stays a POST (but after a 303)
    Cancellation* cancel = nullptr;  // cancelled: give up at once
};

struct HttpResponse {
    long status = 0;
    std::string body;                                 // at most max_response_body bytes
    std::map<std::string, std::string> headers;       // of the last response, names in lower case
    std::optional<std::chrono::seconds> retry_after;  // Retry-After, as seconds or an HTTP date
};

inline constexpr std::size_t max_response_body = 64 * 1024;

struct HttpResult {
    std::optional<HttpResponse> response;  // set when the server answered
    std::string error;                     // what went wrong otherwise (no secrets)
    bool permanent = false;                // the request cannot work as it is (bad redirect, ...)
};

// Thread-safe; each thread reuses its own easy handle (and its connections).
HttpResult perform(const HttpRequest& request);

// Percent-encodes `text` for use as one URL path segment.
std::string escape_segment(std::string_view text);

struct UrlParts {
    std::string scheme;
    std::string user;
    std::string password;
    std::string host;
    int port = 0;       // 0: none given
    std::string path;   // percent-decoded, "/" when empty
};

// True only for "localhost" and literal loopback addresses (127.x.y.z in dotted-quad form,
// ::1, ::ffff:127.x.y.z, with or without [brackets]): traffic to them never leaves the
// machine. Names are never resolved: "127.evil.example" is not loopback.
bool is_loopback(std::string_view host);

// Splits a URL with libcurl's parser. Throws notify::ConfigError naming the URL (its
// password masked) when it cannot be parsed.
UrlParts parse_url(std::string_view url);

}  // namespace notify::handlers::curl
