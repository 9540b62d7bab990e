// The test PostgreSQL server the ctest fixture starts (scripts/postgres): where it listens
// and how to log in, read from its env file.
#pragma once

#include <string>

#include "env_file.hpp"

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
        const auto env = EnvFile::read("NOTIFY_TEST_PG_DIR", "postgres");
        return {env.at("NOTIFY_TEST_PG_URL"), env.at("NOTIFY_TEST_PG_OTHER_URL"), env.at("NOTIFY_TEST_PG_PASSWORD"),
                env.at("NOTIFY_TEST_PG_CA"),  env.at("NOTIFY_TEST_PG_PORT"),      env.dir};
    }
};

}  // namespace notify::test
