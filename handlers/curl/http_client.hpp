// A small RAII layer over libcurl shared by the handlers (internal: never installed).
// Transport problems are values, not exceptions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    long max_redirects = 0;             // followed only to http and https
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
};

struct HttpResult {
    std::optional<HttpResponse> response;  // set when the server answered
    std::string error;                     // what went wrong otherwise (no secrets)
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

// Splits a URL with libcurl's parser. Throws notify::ConfigError naming the URL (its
// password masked) when it cannot be parsed.
UrlParts parse_url(std::string_view url);

}  // namespace notify::handlers::curl
