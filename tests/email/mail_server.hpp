// The test SMTP server (smtp_server.py, aiosmtpd) and what it received.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "plugin_schema.hpp"
#include "notify/config/loader.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace notify::test {

struct MailServer {
    TempDir dir;
    TestServer server;

    explicit MailServer(const std::vector<std::string>& options = {})
        : server(arguments(dir.path().string(), options)) {}

    // The mails received so far, in order: {"mail_from", "rcpt_tos", "headers", "body", "raw", "tls", ...}.
    std::vector<nlohmann::json> mails() const {
        std::vector<nlohmann::json> out;
        for (int i = 1;; ++i) {
            std::ifstream in(dir / (std::to_string(i) + ".json"));
            if (!in) return out;
            out.push_back(nlohmann::json::parse(in));
        }
    }

    // The [email] section for this server; `extra` adds server.conf lines.
    nlohmann::json section(const std::string& extra = "tls = none\n", const std::string& host = "127.0.0.1") const {
        std::string conf = "[email]\nenabled = true\nhost = " + host + "\nport = " + std::to_string(server.port()) +
                           "\nfrom = notify@example.com\n" + extra;
        if (extra.find("timeout") == std::string::npos) conf += "timeout = 10s\n";
        return config::parse(conf, "test.conf", config::Environment{}, test::plugin_schema()).section("email").to_json();
    }

private:
    static std::vector<std::string> arguments(const std::string& dir, const std::vector<std::string>& options) {
        std::vector<std::string> argv{std::string(NOTIFY_SOURCE_DIR) + "/tests/email/smtp_server.py", "--dir", dir};
        argv.insert(argv.end(), options.begin(), options.end());
        return argv;
    }
};

// The value of the first header `name` (as the mail parser decoded it), or "".
inline std::string header(const nlohmann::json& mail, const std::string& name) {
    for (const auto& h : mail.at("headers")) {
        if (h.at(0).get<std::string>() == name) return h.at(1).get<std::string>();
    }
    return {};
}

}  // namespace notify::test
