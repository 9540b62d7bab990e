// SMTP over libcurl. The dialogue is watched through the debug callback, only to pair each
// RCPT with its reply and to keep the server's last reply; nothing of it is logged.
#include "smtp_client.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "easy_handle.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::curl {

namespace {

struct Upload {
    std::string_view rest;
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t count = std::min(size * n, upload->rest.size());
    std::copy_n(upload->rest.data(), count, buffer);
    upload->rest.remove_prefix(count);
    return count;
}

struct Dialogue {
    std::optional<std::string> pending_rcpt;
    std::string last_reply;
    std::vector<SmtpRefusal> refused;
};

std::string_view trim_line(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
    return text;
}

int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
    auto* d = static_cast<Dialogue*>(user);
    const std::string_view text = trim_line(std::string_view(data, size));
    if (type == CURLINFO_HEADER_OUT) {
        // Commands; AUTH lines carry credentials and are never kept.
        if (text.rfind("RCPT TO:", 0) == 0) {
            std::string_view address = text.substr(8);
            if (!address.empty() && address.front() == '<') address.remove_prefix(1);
            if (!address.empty() && address.back() == '>') address.remove_suffix(1);
            d->pending_rcpt = std::string(address);
        } else {
            d->pending_rcpt.reset();
        }
    } else if (type == CURLINFO_HEADER_IN) {
        // A final reply line is "ddd text"; "ddd-text" continues.
        if (text.size() >= 3 && (text.size() == 3 || text[3] == ' ')) {
            // A reply is the server's text: CR, ESC or BEL in it must not reach a log or a terminal.
            d->last_reply = core::escape_controls(text);
            if (d->pending_rcpt) {
                if (text[0] != '2') d->refused.push_back({core::escape_controls(*d->pending_rcpt), d->last_reply});
                d->pending_rcpt.reset();
            }
        }
    }
    return 0;
}

}  // namespace

SmtpResult send_mail(const SmtpRequest& request) {
    CURL* h = thread_handle();
    SmtpResult result;
    const Slist recipients = make_slist(request.recipients);
    Upload upload{request.message};
    Dialogue dialogue;
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    set_common_options(h, request.ca_file, static_cast<long>(request.connect_timeout.count()),
                       static_cast<long>(request.total_timeout.count()), request.cancel);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    // Every reply (the one to the end of the message included) within the whole timeout;
    // libcurl's default is 120 s whatever CURLOPT_TIMEOUT says.
    const auto reply_seconds = std::max<long>(1, static_cast<long>((request.total_timeout.count() + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, reply_seconds);
    // CURLUSESSL_TRY would carry on in plain text when STARTTLS is missing: never.
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(request.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    if (!request.username.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, request.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, request.password.c_str());
    }
    const std::string from = "<" + request.from + ">";
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    // Spelt with three Ls before libcurl 8.2 (Debian 12 has 7.88).
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.message.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &dialogue);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    const CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    result.code = code;
    result.refused = std::move(dialogue.refused);
    result.sent = rc == CURLE_OK;
    if (!result.sent) {
        result.error = describe(rc, error, request.cancel);
        if (!dialogue.last_reply.empty()) result.error += " (server said: " + dialogue.last_reply + ")";
        if (result.code == 0 && dialogue.last_reply.size() >= 3) {
            result.code = std::atol(dialogue.last_reply.substr(0, 3).c_str());
        }
    }
    return result;
}

}  // namespace notify::handlers::curl
