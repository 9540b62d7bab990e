// HTTP over libcurl, TLS verification always on.
#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "easy_handle.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::curl {

namespace {

struct UrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* body = static_cast<std::string*>(user);
    const std::size_t room = max_response_body - std::min(max_response_body, body->size());
    body->append(data, std::min(room, size * n));
    return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(user);
    const std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();  // a new response (after a redirect or a 100 Continue)
        return size * n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
        (*headers)[name] = std::string(value);
    }
    return size * n;
}

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
    char* value = nullptr;
    if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
    std::string out(value);
    curl_free(value);
    return out;
}

bool is_permanent(CURLcode code) {
    return code == CURLE_TOO_MANY_REDIRECTS || code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT;
}

}  // namespace

namespace {

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// scheme://host:port with the port the scheme implies when none is given: what a redirect
// must keep for notify to follow it.
std::string origin_of(const std::string& url) {
    const UrlParts p = parse_url(url);
    std::string host = p.host;
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    const int port = p.port != 0 ? p.port : (p.scheme == "https" ? 443 : 80);
    return p.scheme + "://" + host + ":" + std::to_string(port);
}

// One request, no redirects followed.
HttpResult perform_once(const HttpRequest& request, const std::string& url, const std::string& method,
                        std::chrono::milliseconds total_timeout, std::string* location) {
    CURL* h = thread_handle();
    HttpResult result;
    HttpResponse response;
    const Slist headers = make_slist(request.headers);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    set_common_options(h, request.ca_file, static_cast<long>(request.connect_timeout.count()),
                       static_cast<long>(total_timeout.count()), request.cancel);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (method == "POST") {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
    } else if (method != "GET") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (method != "GET" && method != "DELETE") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    if (!request.username.empty()) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, request.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, request.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
    const CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
        result.error = describe(rc, error, request.cancel);
        result.permanent = is_permanent(rc);
        return result;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
        response.retry_after = std::chrono::seconds(retry_after);
    }
    char* redirect = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect != nullptr) *location = redirect;
    result.response = std::move(response);
    return result;
}

}  // namespace

// Redirects are followed here, not by libcurl: libcurl would carry every header but
// Authorization and Cookie (an X-Api-Key, a signature) to whatever host a Location names.
HttpResult perform(const HttpRequest& request) {
    const auto deadline = std::chrono::steady_clock::now() + request.total_timeout;
    std::string url = request.url;
    std::string method = request.method;
    std::string origin;
    try {
        origin = origin_of(url);
    } catch (const Error& e) {
        HttpResult bad;
        bad.error = e.what();
        bad.permanent = true;
        return bad;
    }
    for (long hop = 0;; ++hop) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds(0)) {
            HttpResult late;
            late.error = "timed out following redirects";
            return late;
        }
        std::string location;
        HttpResult result = perform_once(request, url, method, left, &location);
        if (!result.response || !is_redirect(result.response->status) || request.max_redirects == 0) return result;
        const long status = result.response->status;
        const std::string shown = core::quote_text(config::mask_url_password(location), 200);
        HttpResult refused;
        refused.permanent = true;
        if (location.empty()) return result;  // no usable Location: the 3xx is the answer
        if (hop == request.max_redirects) {
            refused.error = "more than " + std::to_string(request.max_redirects) + " redirects (the last to " + shown + ")";
            return refused;
        }
        std::string target_origin;
        try {
            target_origin = origin_of(location);
        } catch (const Error&) {
        }
        if (target_origin != origin) {
            refused.error = "HTTP " + std::to_string(status) + " redirect to " + shown +
                            " not followed: notify follows redirects only to the same scheme, host and port";
            return refused;
        }
        // 303 asks for a GET; 301 and 302 keep a POST a POST (as webhook receivers that moved
        // expect), and 307 and 308 always keep the method.
        if (status == 303 && method != "GET") method = "GET";
        url = location;
    }
}

std::string escape_segment(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (std::isalnum(b) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 0x0f];
        }
    }
    return out;
}

bool is_loopback(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string text(host);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!text.empty() && text.back() == '.') text.pop_back();  // "localhost." is the same name
    if (text == "localhost") return true;
    // Only literal addresses in dotted-quad form, as inet_pton reads them: "127.1" and
    // "127.evil.example" are names or shorthands a resolver may send anywhere.
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

UrlParts parse_url(std::string_view url) {
    global_init();
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    const std::string text(url);
    if (!u || curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        throw ConfigError("cannot parse the URL '" + config::mask_url_password(url) + "'");
    }
    UrlParts p;
    p.scheme = url_part(u.get(), CURLUPART_SCHEME);
    p.user = url_part(u.get(), CURLUPART_USER, CURLU_URLDECODE);
    p.password = url_part(u.get(), CURLUPART_PASSWORD, CURLU_URLDECODE);
    p.host = url_part(u.get(), CURLUPART_HOST);
    if (p.host.size() > 2 && p.host.front() == '[') {
        p.host.pop_back();
        p.host.erase(0, 1);
    }
    const std::string port = url_part(u.get(), CURLUPART_PORT);
    p.port = port.empty() ? 0 : std::stoi(port);
    p.path = url_part(u.get(), CURLUPART_PATH, CURLU_URLDECODE);
    if (p.path.empty()) p.path.push_back('/');
    return p;
}

}  // namespace notify::handlers::curl
