// The test PostgreSQL server the ctest fixture starts (scripts/postgres): where it listens
// and how to log in, read from its env file.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace notify::test {

struct PostgresServer {
    std::string url;        // postgresql://notify@127.0.0.1:PORT/notify (no password)
    std::string other_url;  // the same server's second database
    std::string password;   // the notify role's
    std::string ca_file;    // the CA that signed the server's certificate (for localhost)
    std::string port;
    std::string dir;        // the server's state folder (for scripts/postgres stop/kill/psql)

    static const PostgresServer& get() {
        static const PostgresServer server = load();
        return server;
    }

    // The URL for `host` instead of 127.0.0.1, with `query` (e.g. "sslmode=verify-full") added.
    std::string url_for(const std::string& host, const std::string& query = "") const {
        std::string out = url;
        const auto at = out.find("127.0.0.1");
        out.replace(at, 9, host);
        if (!query.empty()) out += (out.find('?') == std::string::npos ? "?" : "&") + query;
        return out;
    }

private:
    static PostgresServer load() {
        const char* dir = std::getenv("NOTIFY_TEST_PG_DIR");
        if (dir == nullptr) throw std::runtime_error("NOTIFY_TEST_PG_DIR is not set (run the tests with ctest)");
        std::ifstream in(std::string(dir) + "/env");
        if (!in) throw std::runtime_error(std::string("no ") + dir + "/env: did scripts/postgres start run?");
        std::map<std::string, std::string> vars;
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("export ", 0) == 0) line.erase(0, 7);
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            std::string value = line.substr(eq + 1);
            if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front()) {
                value = value.substr(1, value.size() - 2);
            }
            vars[line.substr(0, eq)] = value;
        }
        PostgresServer s;
        s.url = vars["NOTIFY_TEST_PG_URL"];
        s.other_url = vars["NOTIFY_TEST_PG_OTHER_URL"];
        s.password = vars["NOTIFY_TEST_PG_PASSWORD"];
        s.ca_file = vars["NOTIFY_TEST_PG_CA"];
        s.port = vars["NOTIFY_TEST_PG_PORT"];
        s.dir = dir;
        if (s.url.empty() || s.password.empty()) throw std::runtime_error(std::string(dir) + "/env lacks the URL or password");
        return s;
    }
};

}  // namespace notify::test
