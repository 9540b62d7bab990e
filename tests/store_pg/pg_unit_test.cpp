// The PostgreSQL store's connection settings, without a server: masking and TLS defaults.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "notify/core/error.hpp"
#include "pg.hpp"

using notify::store::postgresql::pg::masked_url;
using notify::store::postgresql::pg::sslmode_for;

TEST_CASE("a password in a PostgreSQL URL never reaches a message", "[postgresql]") {
    CHECK(masked_url("postgresql://notify:s3cret@db.example:5432/notify") == "postgresql://notify:***@db.example:5432/notify");
    CHECK(masked_url("postgres://notify:s3cret@db.example") == "postgres://notify:***@db.example");
    CHECK(masked_url("postgresql://notify@db.example/notify?password=s3cret&sslmode=require") ==
          "postgresql://notify@db.example/notify?password=***&sslmode=require");
    CHECK(masked_url("host=db.example password=s3cret dbname=notify") == "host=db.example password=*** dbname=notify");
    CHECK(masked_url("host=db.example password='s3 cret' dbname=notify") == "host=db.example password=*** dbname=notify");
    CHECK(masked_url("host=db.example password = s3cret dbname=notify") == "host=db.example password = *** dbname=notify");
    CHECK(masked_url("host=db.example\tpassword=s3cret") == "host=db.example\tpassword=***");
    // A password holding '/', '?' or '@' unencoded: libpq reads up to the last '@'.
    CHECK(masked_url("postgresql://notify:se/c?r@t@db.example/notify") == "postgresql://notify:***@db.example/notify");
    // Nothing to hide: unchanged.
    CHECK(masked_url("postgresql://notify@127.0.0.1:5432/notify") == "postgresql://notify@127.0.0.1:5432/notify");
    CHECK(masked_url("postgresql:///notify?host=/run/postgresql") == "postgresql:///notify?host=/run/postgresql");
}

TEST_CASE("TLS with host verification is the default for every host but a local one", "[postgresql]") {
    ::unsetenv("PGSSLMODE");
    ::unsetenv("PGHOST");
    CHECK(sslmode_for("postgresql://notify@db.example/notify") == "verify-full");
    CHECK(sslmode_for("postgresql://notify@10.0.0.5:5432/notify") == "verify-full");
    CHECK(sslmode_for("postgresql://notify@127.0.0.1:5432,db.example:5432/notify") == "verify-full");
    CHECK(sslmode_for("postgresql://notify@127.0.0.1/notify") == "disable");
    CHECK(sslmode_for("postgresql://notify@localhost/notify") == "disable");
    CHECK(sslmode_for("postgresql://notify@[::1]/notify") == "disable");
    CHECK(sslmode_for("postgresql:///notify") == "disable");  // the unix socket
    CHECK(sslmode_for("postgresql:///notify?host=/run/postgresql") == "disable");
    CHECK(sslmode_for("postgresql://notify@127.0.0.9/notify") == "disable");
    CHECK(sslmode_for("postgresql://notify@127.example.org/notify") == "verify-full");  // a name, not 127/8
    CHECK(sslmode_for("postgresql://notify@[::2]/notify") == "verify-full");
    // libpq connects to hostaddr when given; a service file names hosts not seen here.
    CHECK(sslmode_for("host=localhost hostaddr=10.0.0.5 dbname=notify") == "verify-full");
    CHECK(sslmode_for("host=db.example hostaddr=127.0.0.1 dbname=notify") == "disable");
    CHECK(sslmode_for("service=notify") == "verify-full");
    // What the user says wins: the URL, then PGSSLMODE.
    CHECK(sslmode_for("postgresql://notify@db.example/notify?sslmode=require") == "require");
    CHECK(sslmode_for("postgresql://notify@127.0.0.1/notify?sslmode=verify-full") == "verify-full");
    ::setenv("PGSSLMODE", "verify-ca", 1);
    CHECK(sslmode_for("postgresql://notify@db.example/notify") == "verify-ca");
    CHECK(sslmode_for("postgresql://notify@db.example/notify?sslmode=require") == "require");
    ::unsetenv("PGSSLMODE");
}

TEST_CASE("a URL libpq cannot read is refused with the URL, masked", "[postgresql]") {
    // libpq's own reasons quote the part they could not read, here the password: not shown.
    for (const std::string url : {"postgresql://notify:s%zzcret@db.example/notify", "host=db.example password s3cret"}) {
        INFO(url);
        try {
            (void)sslmode_for(url);
            FAIL("no error");
        } catch (const notify::StoreUnusable& e) {
            const std::string what = e.what();
            CHECK_THAT(what, Catch::StartsWith(url.find("://") != std::string::npos ? "postgresql://notify:***@db.example/notify: "
                                                                                   : "a key=value connection string: "));
            CHECK_THAT(what, Catch::EndsWith(": not a PostgreSQL connection URL (postgresql://user@host:port/database?option=value, "
                                             "or key=value pairs)"));
            CHECK(what.find("s%zzcret") == std::string::npos);
            CHECK(what.find("s3cret") == std::string::npos);
            CHECK(what.find('\n') == std::string::npos);
        }
    }
}
