// Checking webhook listeners: nothing a listener holds can forge a header or leak a secret.
#include "webhook.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "http_client.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::http {

namespace {

constexpr std::size_t max_url_bytes = 2048;
constexpr std::size_t max_headers = 20;
constexpr std::size_t max_header_value_bytes = 4096;
constexpr std::size_t max_secret_bytes = 1024;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool is_token(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    });
}

bool is_header_text(std::string_view value) {
    return std::all_of(value.begin(), value.end(), [](char c) { return c == '\t' || (c >= 0x20 && c <= 0x7e); });
}

// Headers notify sets itself, or that would break the request.
bool is_reserved(const std::string& name) {
    static const std::set<std::string> reserved{"content-type", "content-length", "host", "transfer-encoding",
                                                "connection", "expect", "te", "upgrade", "trailer"};
    return reserved.count(name) != 0 || name.rfind("x-notify-", 0) == 0;
}

// Headers that carry credentials by name: Authorization and Cookie, and names such as
// X-Api-Key, X-Auth-Token or X-Session-Id. They never travel over plain http to another host.
bool is_credential(const std::string& lower_name) {
    if (lower_name == "authorization" || lower_name == "proxy-authorization" || lower_name == "cookie") return true;
    for (const char* part : {"auth", "token", "key", "secret", "pass", "session", "cookie", "signature", "credential"}) {
        if (lower_name.find(part) != std::string::npos) return true;
    }
    return false;
}

std::string text_setting(const core::Listener& l, const char* key, std::size_t max_bytes) {
    const auto it = l.settings.find(key);
    if (it == l.settings.end() || it->is_null()) return {};
    if (!it->is_string()) throw ValidationError(std::string("the http listener setting ") + key + " must be a text");
    const auto& value = it->get_ref<const std::string&>();
    if (value.size() > max_bytes) {
        throw ValidationError(std::string("the http listener setting ") + key + " is longer than " +
                              std::to_string(max_bytes) + " bytes");
    }
    if (core::has_control_chars(value)) {
        throw ValidationError(std::string("the http listener setting ") + key + " holds a control character");
    }
    return value;
}

}  // namespace

HttpSettings HttpSettings::from_section(const nlohmann::json& section) {
    HttpSettings s;
    s.ca_file = section.value("ca_file", std::string());
    if (section.contains("connect_timeout")) s.connect_timeout = std::chrono::milliseconds(section.at("connect_timeout").get<long long>());
    if (section.contains("timeout")) s.timeout = std::chrono::milliseconds(section.at("timeout").get<long long>());
    s.max_redirects = section.value("max_redirects", s.max_redirects);
    if (!s.ca_file.empty() && !std::filesystem::exists(s.ca_file)) {
        throw ConfigError("[http] ca_file: file '" + s.ca_file + "' does not exist");
    }
    return s;
}

Webhook Webhook::from_listener(const core::Listener& l) {
    static const std::set<std::string> known{"url", "username", "password", "secret", "headers"};
    for (const auto& [key, value] : l.settings.items()) {
        if (known.count(key) == 0) {
            throw ValidationError("unknown setting " + core::quote_text(key) +
                                  " for an http listener (known: url, username, password, secret, headers)");
        }
    }
    Webhook w;
    w.url = text_setting(l, "url", max_url_bytes);
    if (w.url.empty()) throw ValidationError("an http listener needs a url (http:// or https://)");
    const std::string shown = core::quote_text(config::mask_url_password(w.url));
    curl::UrlParts parts;
    try {
        parts = curl::parse_url(w.url);
    } catch (const ConfigError&) {
        throw ValidationError("url " + shown + " is not a valid URL");
    }
    if (parts.scheme != "http" && parts.scheme != "https") {
        throw ValidationError("url " + shown + " must start with http:// or https://");
    }
    if (parts.host.empty()) throw ValidationError("url " + shown + " has no host");
    if (!parts.user.empty() || !parts.password.empty()) {
        throw ValidationError("url " + shown + " must not hold credentials; use the username and password settings");
    }
    w.username = text_setting(l, "username", 256);
    w.password = text_setting(l, "password", 1024);
    if (!w.password.empty() && w.username.empty()) throw ValidationError("an http listener's password needs a username");
    if (!w.username.empty() && w.username.find(':') != std::string::npos) {
        throw ValidationError("an http listener's username must not contain ':'");
    }
    if (!w.password.empty() && parts.scheme == "http" && !curl::is_loopback(parts.host)) {
        throw ValidationError("url " + shown + ": a password would travel in clear text; use https://");
    }
    w.secret = text_setting(l, "secret", max_secret_bytes);
    if (const auto it = l.settings.find("headers"); it != l.settings.end() && !it->is_null()) {
        if (!it->is_object()) throw ValidationError("the http listener setting headers must be an object of names and values");
        if (it->size() > max_headers) {
            throw ValidationError("an http listener takes at most " + std::to_string(max_headers) + " headers");
        }
        for (const auto& [name, value] : it->items()) {
            if (!is_token(name)) throw ValidationError("header name " + core::quote_text(name) + " is not a valid HTTP token");
            const std::string key = lower(name);
            if (is_reserved(key) || (key == "authorization" && !w.username.empty())) {
                throw ValidationError("header " + core::quote_text(name) + " is set by notify and cannot be given");
            }
            if (!value.is_string() || !is_header_text(value.get<std::string>()) ||
                value.get<std::string>().size() > max_header_value_bytes) {
                throw ValidationError("header " + core::quote_text(name) +
                                      ": the value must be printable ASCII, at most 4096 bytes, without CR or LF");
            }
            if (parts.scheme == "http" && !curl::is_loopback(parts.host) && is_credential(key)) {
                throw ValidationError("url " + shown + ": header " + core::quote_text(name) +
                                      " would travel in clear text; use https://");
            }
            w.headers.emplace_back(name, value.get<std::string>());
        }
    }
    return w;
}

void validate_webhook_listener(core::Listener& listener) {
    const auto webhook = Webhook::from_listener(listener);
    std::vector<std::string> secrets;
    if (!webhook.password.empty()) secrets.emplace_back("password");
    if (!webhook.secret.empty()) secrets.emplace_back("secret");
    for (const auto& [name, value] : webhook.headers) {
        std::string escaped;  // JSON pointer escaping: "~" -> "~0" ("/" is not a token character)
        for (const char c : name) escaped += c == '~' ? std::string("~0") : std::string(1, c);
        secrets.push_back("/headers/" + escaped);
    }
    listener.secret_keys = std::move(secrets);
}

}  // namespace notify::handlers::http
