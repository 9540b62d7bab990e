// [email] -> EmailSettings.
#include "settings.hpp"

#include <filesystem>

#include "address.hpp"
#include "http_client.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::email {

namespace {
constexpr std::int64_t section_second = 1000;
}  // namespace

core::SectionSpec email_section() {
    return {"email", "The SMTP server the email handler sends through.", {
        {"enabled", core::ValueType::boolean, "false",
         "Allow email listeners. While false, creating one is refused.", false, 0, 0, {}},
        {"host", core::ValueType::string, "localhost", "SMTP server host name.", false, 0, 0, {}},
        {"port", core::ValueType::integer, "25", "SMTP server port.", false, 1, 65535, {}},
        {"from", core::ValueType::string, "notify@localhost", "Sender address (From and envelope).",
         false, 0, 0, {}},
        {"tls", core::ValueType::choice, "starttls",
         "starttls (required, never a silent fallback), ssl (implicit TLS) or none.", false, 0, 0,
         {"starttls", "ssl", "none"}},
        {"username", core::ValueType::string, "", "SMTP user; empty = no authentication.", false, 0, 0, {}},
        {"password", core::ValueType::string, "", "SMTP password.", true, 0, 0, {}},
        {"allow_insecure_auth", core::ValueType::boolean, "false",
         "Allow a password with tls = none to hosts other than loopback.", false, 0, 0, {}},
        {"ca_file", core::ValueType::string, "", "CA certificates (PEM) to trust; empty = the system trust store.",
         false, 0, 0, {}},
        {"connect_timeout", core::ValueType::duration, "10s", "How long connecting to the server may take.", false,
         100, 600 * section_second, {}},
        {"timeout", core::ValueType::duration, "60s", "How long sending one mail may take in all.", false, 1000,
         3600 * section_second, {}},
    }};
}

namespace {

bool is_host(const std::string& host) {
    return !host.empty() && host.size() <= 253 && host.find_first_of(" /@?#[]<>\\") == std::string::npos &&
           !core::has_control_chars(host);
}

}  // namespace

std::string EmailSettings::url() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (tls == "ssl" ? "smtps://" : "smtp://") + h + ":" + std::to_string(port);
}

EmailSettings EmailSettings::from_section(const nlohmann::json& section) {
    EmailSettings s;
    const auto text = [&](const char* key, const std::string& fallback) {
        return section.contains(key) ? section.at(key).get<std::string>() : fallback;
    };
    const auto ms = [&](const char* key, std::chrono::milliseconds fallback) {
        return section.contains(key) ? std::chrono::milliseconds(section.at(key).get<long long>()) : fallback;
    };
    s.enabled = section.value("enabled", false);
    s.host = text("host", s.host);
    s.port = section.value("port", s.port);
    s.from = text("from", s.from);
    s.tls = text("tls", s.tls);
    s.username = text("username", "");
    s.password = text("password", "");
    s.allow_insecure_auth = section.value("allow_insecure_auth", false);
    s.ca_file = text("ca_file", "");
    s.connect_timeout = ms("connect_timeout", s.connect_timeout);
    s.timeout = ms("timeout", s.timeout);

    if (!is_host(s.host)) throw ConfigError("[email] host " + core::quote_text(s.host) + " is not a host name");
    try {
        check_address(s.from, "[email] from");
    } catch (const ValidationError& e) {
        throw ConfigError(e.what());
    }
    if (s.tls != "starttls" && s.tls != "ssl" && s.tls != "none") {
        throw ConfigError("[email] tls must be starttls, ssl or none, not " + core::quote_text(s.tls));
    }
    if (!s.ca_file.empty() && !std::filesystem::exists(s.ca_file)) {
        throw ConfigError("[email] ca_file: file '" + s.ca_file + "' does not exist");
    }
    if (!s.password.empty() && s.username.empty()) {
        throw ConfigError("[email] password is set but username is empty");
    }
    if (s.tls == "none" && !s.password.empty() && !curl::is_loopback(s.host) && !s.allow_insecure_auth) {
        throw ConfigError("[email] would send a password in clear text to " + s.host +
                          "; use tls = starttls or ssl, or set allow_insecure_auth = true");
    }
    return s;
}

}  // namespace notify::handlers::email
