// notify stats, listener show, listener test and delivery list --listener, with the
// installed binary against real webhook receivers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "cli_setup.hpp"
#include "web_server.hpp"

using namespace notify;
using namespace notify::test;

namespace {

std::vector<std::string> types_received(const WebServer& web) {
    std::vector<std::string> out;
    for (const auto& request : web.requests()) {
        out.push_back(nlohmann::json::parse(request.at("body").get<std::string>()).at("type"));
    }
    return out;
}

}  // namespace

TEST_CASE("listener test sends notify.test through one listener only, stats and show count, delivery list filters",
          "[cli][e2e][stats]") {
    Setup s;
    WebServer good;
    WebServer gone({"--answers", "404"});
    const auto create = [&](const WebServer& web, const std::string& path) {
        const auto r = s.run({"--json", "listener", "http", "create", "--event-type", "repo.#", "--url", web.url(path)});
        INFO(r.err);
        REQUIRE(r.code == 0);
        return nlohmann::json::parse(r.out).at("id").get<std::string>();
    };
    const auto a = create(good, "/hook");
    const auto b = create(gone, "/hooks/" + std::string(100, 'x'));  // its errors name this long URL
    // An event both listeners want, stored for serve.
    REQUIRE(s.run({"event", "fire", "repo.sync.start"}).code == 0);

    // Testing a delivers through a alone: its test event (and its own waiting delivery).
    auto r = s.run({"listener", "test", a, "--wait", "20"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "Sent notify.test to http listener " + a + ": delivered\n");
    CHECK(r.err.empty());
    const auto got = types_received(good);
    CHECK(std::count(got.begin(), got.end(), "notify.test") == 1);
    CHECK(gone.requests().empty());  // b's server saw neither the test nor b's stored delivery
    r = s.run({"--json", "delivery", "list", "--listener", b});
    REQUIRE(nlohmann::json::parse(r.out).size() == 1);
    CHECK(nlohmann::json::parse(r.out)[0].at("state") == "pending");

    r = s.run({"--json", "listener", "test", "--listener-id", b, "--wait", "20"});
    CHECK(r.code == 1);
    const auto failed = nlohmann::json::parse(r.out);
    CHECK(failed.at("state") == "dead");
    CHECK_THAT(failed.at("last_error").get<std::string>(), Catch::Contains("HTTP 404"));
    bool tested_b = false;
    for (const auto& request : gone.requests()) {
        const auto body = nlohmann::json::parse(request.at("body").get<std::string>());
        if (body.at("type") == "notify.test") tested_b = body.at("data").at("listener_id") == b;
    }
    CHECK(tested_b);

    r = s.run({"--json", "stats"});
    REQUIRE(r.code == 0);
    const auto stats = nlohmann::json::parse(r.out);
    REQUIRE(stats.size() == 2);
    for (const auto& st : stats) {
        INFO(st.dump());
        const bool is_a = st.at("listener_id") == a;
        CHECK(st.at("kind") == "http");
        CHECK(st.at("pending") == 0);
        CHECK(st.at("in_flight") == 0);
        CHECK(st.at("delivered") == (is_a ? 2 : 0));  // the test and the stored event
        CHECK(st.at("dead") == (is_a ? 0 : 2));
        CHECK(st.at("oldest_pending_seconds").is_null());
    }
    r = s.run({"stats"});
    CHECK(r.out.find("LISTENER  KIND      PENDING  IN FLIGHT  DELIVERED  RETRIED   DEAD  OLDEST PENDING\n") == 0);

    r = s.run({"listener", "show", a});
    CHECK(r.code == 0);
    CHECK(r.out.find("deliveries:            0 pending, 0 in flight, 2 delivered, 0 retried, 0 dead\n") !=
          std::string::npos);
    CHECK(r.out.find(good.url()) != std::string::npos);
    r = s.run({"--json", "listener", "show", b});
    CHECK(nlohmann::json::parse(r.out).at("stats").at("dead") == 2);

    r = s.run({"--json", "delivery", "list", "--listener", b});
    REQUIRE(r.code == 0);
    const auto listed = nlohmann::json::parse(r.out);
    REQUIRE(listed.size() == 2);
    for (const auto& d : listed) {
        CHECK(d.at("listener_id") == b);
        CHECK(d.at("state") == "dead");
    }
    CHECK(nlohmann::json::parse(s.run({"--json", "delivery", "list", "--listener", a}).out).empty());
    // The table cuts a long last error with "..."; --json above has it whole.
    CHECK(listed[0].at("last_error").get<std::string>().size() > 100);
    r = s.run({"delivery", "list", "--listener", b, "--state", "dead"});
    std::istringstream rows(r.out);
    std::string row;
    REQUIRE(std::getline(rows, row));
    CHECK(row.rfind("DELIVERY ID", 0) == 0);
    int cut = 0;
    while (std::getline(rows, row)) cut += row.size() > 3 && row.compare(row.size() - 3, 3, "...") == 0;
    CHECK(cut == 2);

    for (const auto& args : std::vector<std::vector<std::string>>{{"listener", "show", "nope"},
                                                                 {"listener", "test", "nope"},
                                                                 {"delivery", "list", "--listener", "nope"}}) {
        r = s.run(args);
        CHECK(r.code == 2);
        CHECK(r.err == "notify: no listener with id 'nope'\n");
    }
}
