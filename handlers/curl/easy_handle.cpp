// One libcurl easy handle per thread; libcurl initialised once per process.
#include "easy_handle.hpp"

#include <mutex>
#include <new>

namespace notify::handlers::curl {

namespace {

struct EasyDeleter {
    // At thread exit libcurl says goodbye on connections it keeps (SMTP's QUIT) and waits
    // for the answer, by default up to 120 s: a server that went silent must not hold a
    // stopping notify that long.
    void operator()(CURL* handle) const {
        curl_easy_setopt(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, 1L);
        curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 1000L);
        curl_easy_cleanup(handle);
    }
};

}  // namespace

Slist make_slist(const std::vector<std::string>& items) {
    Slist list;
    for (const auto& item : items) {
        curl_slist* next = curl_slist_append(list.get(), item.c_str());
        if (next == nullptr) throw std::bad_alloc();
        (void)list.release();
        list.reset(next);
    }
    return list;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CURL* thread_handle() {
    global_init();
    thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
    if (!handle) throw std::bad_alloc();
    curl_easy_reset(handle.get());
    return handle.get();
}

void set_common_options(CURL* h, const std::string& ca_file, long connect_timeout_ms, long total_timeout_ms,
                        Cancellation* cancel) {
    if (cancel != nullptr) cancel->watch(h);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_timeout_ms);
}

std::string describe(CURLcode code, const char* error_buffer, const Cancellation* cancel) {
    if (code == CURLE_ABORTED_BY_CALLBACK || (cancel != nullptr && cancel->cancelled())) {
        return "given up unanswered: notify is stopping";
    }
    std::string text = curl_easy_strerror(code);
    if (error_buffer != nullptr && error_buffer[0] != '\0') text += std::string(": ") + error_buffer;
    return text;
}

}  // namespace notify::handlers::curl
