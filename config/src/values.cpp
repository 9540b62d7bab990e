// Typed value parsing for server.conf.
#include "values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "notify/core/listener.hpp"
#include "notify/core/text.hpp"

namespace notify::config::detail {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string format_duration(std::int64_t ms) {
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    if (ms % 3600000 != 0 || ms == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms / 3600000) + "h";
}

bool parse_integer(std::string_view text, std::int64_t& out) {
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, out);
    return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

std::int64_t parse_integer_value(const KeySpec& spec, std::string_view text) {
    std::int64_t value = 0;
    if (!parse_integer(text, value) || value < spec.min || value > spec.max) {
        throw ValueProblem("expected a whole number from " + std::to_string(spec.min) + " to " +
                           std::to_string(spec.max));
    }
    return value;
}

std::chrono::milliseconds parse_duration(const KeySpec& spec, std::string_view text) {
    const auto problem = [&] {
        return ValueProblem("expected a duration from " + format_duration(spec.min) + " to " +
                            format_duration(spec.max) + ", like 500ms, 30s, 5m, 2h or 1d");
    };
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    std::int64_t number = 0;
    if (digits == 0 || digits > 12 || !parse_integer(text.substr(0, digits), number)) throw problem();
    const std::string_view unit = text.substr(digits);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s" || unit.empty()) scale = 1000;
    else if (unit == "m") scale = 60 * 1000;
    else if (unit == "h") scale = 3600 * 1000;
    else if (unit == "d") scale = 24 * 3600 * 1000;
    else throw problem();
    const std::int64_t ms = number * scale;
    if (ms < spec.min || ms > spec.max) throw problem();
    return std::chrono::milliseconds(ms);
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// scheme://[user[:password]@]host[:port][/path]; host a name, IPv4 or [IPv6].
void check_url(const KeySpec& spec, std::string_view url) {
    const auto problem = [&](const std::string& why) {
        return ValueProblem(core::quote_text(display_text(spec, url)) + " is not a usable URL: " + why);
    };
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) throw problem("expected scheme://host[:port]");
    const std::string scheme = lower(url.substr(0, scheme_end));
    if (std::find(spec.choices.begin(), spec.choices.end(), scheme) == spec.choices.end()) {
        throw problem("the scheme must be " + join(spec.choices, " or "));
    }
    // libpq reads its own URLs: several hosts, none (a unix socket), options in the query.
    if (scheme == "postgresql" || scheme == "postgres") return;
    std::string_view rest = url.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    std::string_view host = rest;
    std::string_view port;
    bool has_port = false;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) throw problem("unclosed '[' in the host");
        host = rest.substr(1, close - 1);
        if (rest.size() > close + 1) {
            if (rest[close + 1] != ':') throw problem("unexpected text after the host");
            port = rest.substr(close + 2);
            has_port = true;
        }
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
            })) {
            throw problem("invalid IPv6 address");
        }
    } else {
        if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
            host = rest.substr(0, colon);
            port = rest.substr(colon + 1);
            has_port = true;
        }
        if (host.empty()) throw problem("the host is missing");
        if (!std::all_of(host.begin(), host.end(), is_host_char)) throw problem("invalid host name");
    }
    if (has_port) {
        std::int64_t number = 0;
        if (!parse_integer(port, number) || number < 1 || number > 65535) {
            throw problem("the port must be a number from 1 to 65535");
        }
    }
}

std::vector<std::string> parse_url_list(const KeySpec& spec, std::string_view text) {
    std::vector<std::string> urls;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find_first_of(",\n", start), text.size());
        const std::string_view item = trim(text.substr(start, end - start));
        // "a,\n  b": the comma before a line break leaves an empty item that is no mistake.
        const bool at_line_break = (start > 0 && text[start - 1] == '\n') || (end < text.size() && text[end] == '\n');
        if (item.empty() && !at_line_break) {
            throw ValueProblem("expected a comma-separated list of URLs without empty items");
        }
        if (!item.empty()) {
            check_url(spec, item);
            urls.emplace_back(item);
        }
        start = end + 1;
    }
    return urls;
}

// IPV4:PORT or [IPV6]:PORT, port 1-65535: what a local HTTP endpoint listens on.
void check_address(std::string_view text) {
    const auto colon = text.rfind(':');
    const std::string expected = "expected IPV4:PORT or [IPV6]:PORT, like 127.0.0.1:9464";
    if (colon == std::string_view::npos || colon == 0) throw ValueProblem(expected);
    std::string host(text.substr(0, colon));
    const auto port = text.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
        throw ValueProblem("the port must be 1 to 65535; " + expected);
    }
    unsigned char buffer[sizeof(in6_addr)];
    const bool v6 = host.size() > 2 && host.front() == '[' && host.back() == ']' &&
                    inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) == 1;
    if (!v6 && inet_pton(AF_INET, host.c_str(), buffer) != 1) {
        throw ValueProblem("'" + host + "' is not an IP address; " + expected);
    }
}

}  // namespace

std::string display_text(const KeySpec& spec, std::string_view text) {
    if (spec.secret && !text.empty()) return std::string(core::masked_secret);
    if (spec.type == ValueType::url || spec.type == ValueType::url_list) return mask_url_password(text);
    return std::string(text);
}

Value parse_value(const KeySpec& spec, std::string_view text) {
    if (core::has_control_chars(text) && spec.type != ValueType::url_list) {
        throw ValueProblem("control characters are not allowed");
    }
    if (!core::is_valid_utf8(text)) throw ValueProblem("the value is not valid UTF-8");
    switch (spec.type) {
        case ValueType::string:
            return std::string(text);
        case ValueType::path:
            if (text.empty()) throw ValueProblem("expected a file path");
            return std::string(text);
        case ValueType::name: {
            const bool ok = !text.empty() && text.size() <= 255 &&
                            std::all_of(text.begin(), text.end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                       c == '_' || c == '.' || c == ':';
                            });
            if (!ok) throw ValueProblem("expected 1-255 letters, digits, '-', '_', '.' or ':'");
            return std::string(text);
        }
        case ValueType::boolean: {
            const std::string v = lower(text);
            if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
            if (v == "false" || v == "no" || v == "off" || v == "0") return false;
            throw ValueProblem("expected true or false (also yes/no, on/off, 1/0)");
        }
        case ValueType::integer:
            return parse_integer_value(spec, text);
        case ValueType::duration:
            return parse_duration(spec, text);
        case ValueType::choice:
            if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
                throw ValueProblem("expected one of: " + join(spec.choices, ", "));
            }
            return std::string(text);
        case ValueType::url:
            if (!text.empty()) check_url(spec, text);
            return std::string(text);
        case ValueType::address:
            if (!text.empty()) check_address(text);
            return std::string(text);
        case ValueType::url_list: {
            if (std::any_of(text.begin(), text.end(), [](char c) {
                    return c != '\n' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f);
                })) {
                throw ValueProblem("control characters are not allowed");
            }
            return parse_url_list(spec, text);
        }
    }
    throw ValueProblem("unknown value type");
}

}  // namespace notify::config::detail
