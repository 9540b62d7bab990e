// The [http] section: what the http (webhook) handler reads from server.conf.
#include "webhook.hpp"

namespace notify::handlers::http {

namespace {
constexpr std::int64_t second = 1000;
}  // namespace

core::SectionSpec http_section() {
    return {"http", "How the http (webhook) handler makes its requests.", {
        {"ca_file", core::ValueType::string, "", "CA certificates (PEM) to trust for https://; empty = the system trust store.",
         false, 0, 0, {}},
        {"connect_timeout", core::ValueType::duration, "10s", "How long connecting to a receiver may take.", false, 100,
         600 * second, {}},
        {"timeout", core::ValueType::duration, "30s", "How long one request may take in all, redirects included.", false,
         1000, 3600 * second, {}},
        {"max_redirects", core::ValueType::integer, "3", "Redirects followed, only to the same scheme, host and port; 0 = none.", false,
         0, 3, {}},
    }};
}

}  // namespace notify::handlers::http
