// GET /metrics and /healthz over CivetWeb.
#include "http_endpoint.hpp"

#include <civetweb.h>

#include <cstring>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::cli {

namespace {

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

void send(mg_connection* connection, const HttpAnswer& answer, bool head) {
    std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " " + reason_phrase(answer.status) +
                           "\r\nContent-Type: " + answer.content_type +
                           "\r\nContent-Length: " + std::to_string(answer.body.size()) +
                           "\r\nCache-Control: no-store\r\nConnection: close\r\n";
    if (answer.status == 405) response += "Allow: GET, HEAD\r\n";
    response += "\r\n";
    if (!head) response += answer.body;
    mg_write(connection, response.data(), response.size());
}

}  // namespace

HttpEndpoint::HttpEndpoint(const std::string& address, std::map<std::string, Page> pages) : pages_(std::move(pages)) {
    mg_init_library(0);
    const char* options[] = {"listening_ports", address.c_str(), "num_threads", "2", "enable_keep_alive", "no",
                             "request_timeout_ms", "10000", nullptr};
    mg_callbacks callbacks{};
    // CivetWeb's own messages (a client hanging up) are not notify's to log.
    callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
    mg_init_data init{};
    init.callbacks = &callbacks;
    init.configuration_options = options;
    char text[256] = {};
    unsigned code = 0;
    mg_error_data error{&code, text, sizeof(text)};
    context_ = mg_start2(&init, &error);
    if (context_ == nullptr) {
        mg_exit_library();
        throw Error("cannot listen on " + address + " ([serve] metrics): " + core::flatten_line(text));
    }
    // Every other path is CivetWeb's 404: it has no document root to serve files from.
    // CivetWeb also hands a handler the paths below its own (/metrics/x): those are 404 too.
    for (auto& entry : pages_) mg_set_request_handler(context_, entry.first.c_str(), &HttpEndpoint::answer, &entry);
}

HttpEndpoint::~HttpEndpoint() {
    mg_stop(context_);
    mg_exit_library();
}

int HttpEndpoint::answer(mg_connection* connection, void* entry) {
    const auto& [path, page] = *static_cast<std::pair<const std::string, Page>*>(entry);
    const mg_request_info* request = mg_get_request_info(connection);
    if (request->local_uri == nullptr || path != request->local_uri) {
        send(connection, {404, "text/plain; charset=utf-8", "not found\n"}, false);
        return 404;
    }
    const bool head = std::strcmp(request->request_method, "HEAD") == 0;
    if (!head && std::strcmp(request->request_method, "GET") != 0) {
        send(connection, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
        return 405;
    }
    HttpAnswer answer;
    try {
        answer = page();
    } catch (const std::exception& e) {
        answer = {500, "text/plain; charset=utf-8", core::flatten_line(e.what()) + "\n"};
    }
    send(connection, answer, head);
    return answer.status;
}

}  // namespace notify::cli
