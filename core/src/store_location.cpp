// StoreLocation: naming a store in messages without its password.
#include "notify/core/store_location.hpp"

#include <algorithm>
#include <cctype>

namespace notify::core {

namespace {

// In a key=value string, the value of every `password` key (spaces around '=' allowed,
// quoted or not) becomes "***".
std::string mask_keyword_password(std::string text) {
    constexpr std::string_view key = "password";
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
        if (at > 0 && !std::isspace(static_cast<unsigned char>(text[at - 1]))) continue;
        std::size_t i = at + key.size();
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= text.size() || text[i] != '=') continue;
        ++i;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t end = i;
        if (end < text.size() && text[end] == '\'') {
            for (++end; end < text.size() && text[end] != '\''; ++end) {
                if (text[end] == '\\') ++end;
            }
            end = std::min(end + 1, text.size());
        } else {
            while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
        }
        text.replace(i, end - i, "***");
    }
    return text;
}

}  // namespace

std::string mask_store_url(std::string_view url) {
    std::string out(url);
    const std::size_t scheme = out.find("://");
    if (scheme == std::string::npos) return mask_keyword_password(std::move(out));
    // The user info ends at the last '@' (a password may hold '/', '?' or '@' unencoded); a
    // '@' later in the URL only masks more than needed, never less.
    const std::size_t authority = scheme + 3;
    const std::size_t at = out.rfind('@');
    if (at != std::string::npos && at > authority) {
        const std::size_t colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    // password=... in the query, wherever it is.
    for (std::size_t p = out.find("password=", authority); p != std::string::npos; p = out.find("password=", p + 1)) {
        if (out[p - 1] != '?' && out[p - 1] != '&') continue;
        const std::size_t value = p + 9;
        const std::size_t end = std::min(out.find('&', value), out.size());
        out.replace(value, end - value, "***");
    }
    return out;
}

std::string StoreLocation::engine() const {
    if (url.empty()) return "sqlite";
    const auto end = url.find("://");
    if (end == std::string::npos) return "";
    std::string scheme = url.substr(0, end);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return scheme;
}

std::string StoreLocation::describe() const {
    if (url.empty()) return path.string();
    std::string text = mask_store_url(url);
    if (schema != "notify") text += " (schema " + schema + ")";
    return text;
}

}  // namespace notify::core
