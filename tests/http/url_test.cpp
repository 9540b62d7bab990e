// The URL rules every handler shares: which hosts count as loopback (a password may travel
// to them in clear text), and which redirects are followed (the same origin only).
#include <catch2/catch.hpp>

#include "http_client.hpp"

using notify::handlers::curl::is_loopback;

TEST_CASE("loopback means localhost or a literal loopback address, never a name that looks like one", "[http][url]") {
    for (const char* host : {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3", "127.255.255.254", "::1",
                             "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
        INFO(host);
        CHECK(is_loopback(host));
    }
    for (const char* host : {"127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "evil-localhost",
                             "127.1", "0x7f000001", "2130706433", "128.0.0.1", "10.0.0.1", "::2", "::ffff:10.0.0.1",
                             "[::1", "", "1127.0.0.1"}) {
        INFO(host);
        CHECK_FALSE(is_loopback(host));
    }
}
