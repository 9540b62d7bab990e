// Address and header-value checks: nothing a listener holds can add a header or recipient.
#include "address.hpp"

#include <cctype>
#include <cstring>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::email {

namespace {

bool is_atext(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// Dot-separated non-empty runs of `allowed` characters.
template <typename Allowed>
bool is_dotted(std::string_view text, Allowed allowed) {
    if (text.empty() || text.front() == '.' || text.back() == '.') return false;
    char previous = '\0';
    for (const char c : text) {
        if (c == '.') {
            if (previous == '.') return false;
        } else if (!allowed(c)) {
            return false;
        }
        previous = c;
    }
    return true;
}

bool is_host_name(std::string_view domain) {
    if (!is_dotted(domain, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; })) {
        return false;
    }
    std::size_t start = 0;
    while (start <= domain.size()) {
        const auto dot = domain.find('.', start);
        const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

}  // namespace

void check_address(std::string_view address, std::string_view what) {
    const auto fail = [&](const std::string& why) {
        throw ValidationError(std::string(what) + " " + core::quote_text(address) + " is not a valid address: " + why);
    };
    if (address.empty()) fail("it is empty");
    if (core::has_control_chars(address)) fail("it holds a control character (CR, LF, ...)");
    for (const char c : address) {
        if (static_cast<unsigned char>(c) >= 0x80) fail("only ASCII addresses are supported");
    }
    if (address.size() > 254) fail("longer than 254 bytes");
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) fail("expected local@domain");
    const auto local = address.substr(0, at);
    const auto domain = address.substr(at + 1);
    if (local.size() > 64 || !is_dotted(local, is_atext)) {
        fail("the part before @ must be 1-64 letters, digits or !#$%&'*+-/=?^_`{|}~ separated by single dots");
    }
    if (!is_host_name(domain)) fail("the part after @ must be a host name");
}

void check_header_value(std::string_view value, std::string_view what) {
    if (core::has_control_chars(value)) {
        throw ValidationError(std::string(what) + " " + core::quote_text(value) +
                              " holds a control character (CR, LF, ...), which could forge mail headers");
    }
    if (!core::is_valid_utf8(value)) {
        throw ValidationError(std::string(what) + " " + core::quote_text(value) + " is not valid UTF-8");
    }
    if (core::has_line_breaking_or_bidi(value)) {
        throw ValidationError(std::string(what) + " " + core::quote_text(value) +
                              " holds a line separator or a bidirectional control (U+0085, U+2028, U+202E, ...)");
    }
}

}  // namespace notify::handlers::email
