// The test HTTP server (http_server.py, http.server) and the requests it received.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "temp_dir.hpp"

namespace notify::test {

struct WebServer {
    TempDir dir;
    TestServer server;

    explicit WebServer(const std::vector<std::string>& options = {}) : server(arguments(dir.path().string(), options)) {}

    std::string url(const std::string& path = "/hook", const std::string& scheme = "http",
                    const std::string& host = "127.0.0.1") const {
        return scheme + "://" + host + ":" + std::to_string(server.port()) + path;
    }

    // Each request received: {"method", "path", "headers", "body", "time", "answer" (the
    // status code, null while hanging), ["signature_valid"]}.
    std::vector<nlohmann::json> requests() const {
        std::vector<nlohmann::json> out;
        std::ifstream in(dir / "requests.jsonl");
        std::string line;
        while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
        return out;
    }

    // The X-Notify-Delivery-Id of each request answered with 2xx, one per copy.
    std::vector<std::string> accepted_delivery_ids() const {
        std::vector<std::string> ids;
        for (const auto& r : requests()) {
            if (r.at("answer").is_null() || r.at("answer").get<int>() / 100 != 2) continue;
            for (const auto& h : r.at("headers")) {
                if (h.at(0) == "X-Notify-Delivery-Id") ids.push_back(h.at(1).get<std::string>());
            }
        }
        return ids;
    }

private:
    static std::vector<std::string> arguments(const std::string& dir, const std::vector<std::string>& options) {
        std::vector<std::string> argv{std::string(NOTIFY_SOURCE_DIR) + "/tests/http/http_server.py", "--dir", dir};
        argv.insert(argv.end(), options.begin(), options.end());
        return argv;
    }
};

}  // namespace notify::test
