// The [email] section, checked and resolved for the email handler (internal).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "notify/core/settings_spec.hpp"

namespace notify::handlers::email {

// The server.conf section the handler reads: keys, defaults, documentation.
core::SectionSpec email_section();

struct EmailSettings {
    bool enabled = false;
    std::string host = "localhost";
    int port = 25;
    std::string from = "notify@localhost";
    std::string tls = "starttls";  // starttls, ssl or none
    std::string username;
    std::string password;
    bool allow_insecure_auth = false;
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{60000};

    // smtp://host:port or smtps://host:port.
    std::string url() const;

    // From the section as typed JSON (config::Section::to_json()). Throws notify::ConfigError
    // naming the key: a bad from address or host, a missing CA file, a password that would
    // travel in clear text to a host other than loopback.
    static EmailSettings from_section(const nlohmann::json& section);
};

}  // namespace notify::handlers::email
