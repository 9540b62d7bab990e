// A webhook listener's settings, checked (internal).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "notify/core/listener.hpp"
#include "notify/core/settings_spec.hpp"

namespace notify::handlers::http {

// The server.conf section the handler reads: keys, defaults, documentation.
core::SectionSpec http_section();

// The [http] section.
struct HttpSettings {
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{30000};
    long max_redirects = 3;

    // Throws notify::ConfigError for a CA file that does not exist.
    static HttpSettings from_section(const nlohmann::json& section);
};

struct Webhook {
    std::string url;
    std::string username;
    std::string password;
    std::string secret;
    std::vector<std::pair<std::string, std::string>> headers;

    // Reads and checks the listener's settings. Throws notify::ValidationError naming the
    // setting: a URL that is not http(s), has no host or carries credentials (shown
    // masked), a password without a user or over plain http to a host other than
    // loopback, a header name that is not a token or that notify sets itself, a header
    // value with control characters.
    static Webhook from_listener(const core::Listener& listener);
};

// Checks `listener` and marks its secrets (password, secret, every extra header value).
void validate_webhook_listener(core::Listener& listener);

}  // namespace notify::handlers::http
