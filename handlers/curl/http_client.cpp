// HTTP over libcurl, TLS verification always on.
#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include "easy_handle.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/error.hpp"

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

HttpResult perform(const HttpRequest& request) {
    CURL* h = thread_handle();
    HttpResult result;
    HttpResponse response;
    const Slist headers = make_slist(request.headers);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    set_common_options(h, request.ca_file, static_cast<long>(request.connect_timeout.count()),
                       static_cast<long>(request.total_timeout.count()), request.cancel);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, request.max_redirects);
    if (request.method == "POST") {
        // Not CURLOPT_CUSTOMREQUEST: that would also apply to a 303's GET. POSTREDIR keeps
        // the body on 301 and 302, as webhook receivers that move expect.
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
    } else if (request.method != "GET") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method != "GET" && request.method != "DELETE") {
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
        result.error = describe(rc, error);
        result.permanent = is_permanent(rc);
        return result;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
        response.retry_after = std::chrono::seconds(retry_after);
    }
    result.response = std::move(response);
    return result;
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
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
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
    if (p.host.size() > 2 && p.host.front() == '[') p.host = p.host.substr(1, p.host.size() - 2);
    const std::string port = url_part(u.get(), CURLUPART_PORT);
    p.port = port.empty() ? 0 : std::stoi(port);
    p.path = url_part(u.get(), CURLUPART_PATH, CURLU_URLDECODE);
    if (p.path.empty()) p.path = "/";
    return p;
}

}  // namespace notify::handlers::curl
