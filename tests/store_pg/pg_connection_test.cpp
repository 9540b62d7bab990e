// Connecting to a real PostgreSQL 15 (scripts/postgres, started by the ctest fixture):
// passwords, TLS verification, and errors that name the culprit without the secret.
#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <string>
#include <thread>

#include "notify/core/error.hpp"
#include "pg.hpp"
#include "pg_env.hpp"

using namespace notify::store::postgresql;
using notify::test::PostgresServer;

namespace {

// The StoreError message connecting with `options` fails with ("" when it connects).
std::string connect_error(const pg::ConnectOptions& options) {
    try {
        pg::Connection c(options);
        return "";
    } catch (const notify::StoreError& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("the store connects with the [store] password and runs statements with parameters", "[postgresql]") {
    const auto& server = PostgresServer::get();
    pg::Connection c({server.url, server.password});
    CHECK_FALSE(c.encrypted());  // loopback: no TLS unless the URL asks for it
    const auto r = c.exec("SELECT current_user, $1::bigint + 1, $2::text IS NULL", {"41", std::nullopt});
    REQUIRE(r.rows() == 1);
    CHECK(r.text(0, 0) == "notify");
    CHECK(r.integer(0, 1) == 42);
    CHECK(r.text(0, 2) == "t");
    const auto name = c.exec("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
    CHECK(name.text(0, 0) == "notify");
}

TEST_CASE("sslmode=verify-full checks the server's certificate and name", "[postgresql]") {
    const auto& server = PostgresServer::get();
    const std::string tls = "sslmode=verify-full&sslrootcert=" + server.ca_file;
    SECTION("the name the certificate carries") {
        pg::Connection c({server.url_for("localhost", tls), server.password});
        CHECK(c.encrypted());
        CHECK(c.exec("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").text(0, 0) == "t");
    }
    SECTION("another name for the same server is refused") {
        const auto error = connect_error({server.url_for("127.0.0.1", tls), server.password});
        CHECK_THAT(error, Catch::StartsWith(server.url_for("127.0.0.1", tls) + ": cannot connect: "));
        CHECK_THAT(error, Catch::Contains("does not match host name"));
    }
    SECTION("an unknown CA is refused") {
        // No CA given: libpq looks for ~/.postgresql/root.crt, which does not vouch for it.
        const auto error = connect_error({server.url_for("localhost", "sslmode=verify-full"), server.password});
        CHECK_THAT(error, Catch::StartsWith(server.url_for("localhost", "sslmode=verify-full") + ": cannot connect: "));
        CHECK_THAT(error, Catch::Contains("certificate"));
    }
}

TEST_CASE("a refused login names the URL and never the password", "[postgresql]") {
    const auto& server = PostgresServer::get();
    SECTION("a wrong [store] password") {
        const auto error = connect_error({server.url, "wrong-" + server.password});
        CHECK_THAT(error, Catch::StartsWith(server.url + ": cannot connect: "));
        CHECK_THAT(error, Catch::Contains("password authentication failed for user \"notify\""));
        CHECK(error.find(server.password) == std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
    }
    SECTION("a wrong password inside the URL") {
        std::string url = server.url;
        url.replace(url.find("notify@"), 7, "notify:wrong-secret@");
        const auto error = connect_error({url, ""});
        CHECK_THAT(error, Catch::StartsWith(pg::masked_url(url) + ": cannot connect: "));
        CHECK(error.find("wrong-secret") == std::string::npos);
    }
    SECTION("nothing listening") {
        std::string url = server.url;
        url.replace(url.find(":" + server.port), server.port.size() + 1, ":1");
        CHECK_THAT(connect_error({url, server.password}), Catch::Contains("cannot connect: ") && Catch::Contains("refused"));
    }
}

TEST_CASE("a failing statement throws the server's reason and SQLSTATE", "[postgresql]") {
    const auto& server = PostgresServer::get();
    pg::Connection c({server.url, server.password});
    try {
        c.exec("SELECT * FROM no_such_table");
        FAIL("no error");
    } catch (const notify::StoreError& e) {
        CHECK(std::string(e.what()) ==
              server.url + ": relation \"no_such_table\" does not exist (SQLSTATE 42P01) in: SELECT * FROM no_such_table");
    }
    // The connection is still usable afterwards.
    CHECK(c.exec("SELECT 1").integer(0, 0) == 1);
}

TEST_CASE("a session the server ended while idle is opened again before the next statement, prepared statements too",
          "[postgresql]") {
    const auto& server = PostgresServer::get();
    pg::Connection c({server.url, server.password});
    const auto pid = c.exec_prepared("notify_test_pid", "SELECT pg_backend_pid()", {}).text(0, 0);
    pg::Connection admin({server.url, server.password});
    CHECK(admin.exec("SELECT pg_terminate_backend($1::int)", {pid}).text(0, 0) == "t");
    // Until the server has closed the session's socket (as a restart leaves it).
    for (int i = 0; i < 200; ++i) {
        pollfd p{PQsocket(c.native()), POLLRDHUP, 0};
        if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP)) != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    c.ready();  // finds the session ended, as after a server restart, and opens another
    const auto again = c.exec_prepared("notify_test_pid", "SELECT pg_backend_pid()", {});
    CHECK(again.text(0, 0) != pid);
}
