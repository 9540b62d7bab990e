// RAII over libcurl handles, shared by the HTTP and SMTP clients (internal).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "cancellation.hpp"

namespace notify::handlers::curl {

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// A curl_slist of `items`. Throws std::bad_alloc when libcurl runs out of memory.
Slist make_slist(const std::vector<std::string>& items);

// curl_global_init, once per process; thread_handle() calls it.
void global_init();

// This thread's easy handle, reset to default options but keeping its connection cache,
// so consecutive requests to one server reuse a connection. Never null.
CURL* thread_handle();

// Options every transfer gets: TLS peer and host verification (with `ca_file` instead of
// the system store when not empty), no signals, the two timeouts in milliseconds, and,
// when `cancel` is not null, an end at once when it is cancelled. `cancel` must outlive
// the transfer.
void set_common_options(CURL* handle, const std::string& ca_file, long connect_timeout_ms, long total_timeout_ms,
                        Cancellation* cancel);

// "<curl's message>: <details from the error buffer>", or that notify gave up because it
// is stopping when `cancel` was cancelled.
std::string describe(CURLcode code, const char* error_buffer, const Cancellation* cancel = nullptr);

}  // namespace notify::handlers::curl
