// A small HTTP endpoint for notify serve's GET /metrics and GET /healthz, on CivetWeb (the
// server prometheus-cpp's own exposer uses; that exposer cannot answer 503 for /healthz).
// Paths other than those registered answer 404, methods other than GET and HEAD 405.
#pragma once

#include <functional>
#include <map>
#include <string>

struct mg_context;
struct mg_connection;

namespace notify::cli {

struct HttpAnswer {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// Answers come from CivetWeb's threads (two), one request at a time each: a page's
// function must be thread-safe. Not copyable; the destructor stops the server.
class HttpEndpoint {
public:
    using Page = std::function<HttpAnswer()>;
    // Listens on `address` (IPV4:PORT or [IPV6]:PORT) at once. Throws notify::Error naming
    // the address when it cannot (taken, not local).
    HttpEndpoint(const std::string& address, std::map<std::string, Page> pages);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

private:
    static int answer(mg_connection* connection, void* entry);  // entry: a pair of pages_
    std::map<std::string, Page> pages_;
    mg_context* context_ = nullptr;
};

}  // namespace notify::cli
