// The three message formats, exactly as consumers receive them.
#include <catch2/catch.hpp>

#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/well_known.hpp"

using namespace notify::core;

namespace {
Event sample() {
    Event e = org_event(OrgService::employee, OrgObject::it, OrgAction::create, "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11",
                        parse_zoned("2027-01-01T00:00:00+01:00"), "mo");
    e.set_id("0b8c7a55-2a55-4a4b-9c1a-6c0e8d3f6d21");
    e.set_time(parse_rfc3339("2026-11-23T18:12:00.123456Z"));
    return e;
}
}  // namespace

TEST_CASE("cloudevents: structured CloudEvents 1.0 JSON", "[format]") {
    const auto m = format_message(sample(), "cloudevents");
    CHECK(m.subject == "employee.it.create");
    CHECK(m.content_type == "application/cloudevents+json");
    CHECK(nlohmann::json::parse(m.body) ==
          nlohmann::json{{"specversion", "1.0"},
                         {"id", "0b8c7a55-2a55-4a4b-9c1a-6c0e8d3f6d21"},
                         {"source", "mo"},
                         {"type", "employee.it.create"},
                         {"time", "2026-11-23T18:12:00.123456Z"},
                         {"datacontenttype", "application/json"},
                         {"effective", "2026-12-31T23:00:00.000000Z"},  // UTC, as CloudEvents' own times
                         {"data", {{"uuid", "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11"}, {"time", "2027-01-01T00:00:00+01:00"}}}});
    CHECK_FALSE(nlohmann::json::parse(format_message(Event("a.b"), "cloudevents").body).contains("effective"));
}

TEST_CASE("data: the event's data only, as the older organisation messages", "[format]") {
    const auto m = format_message(sample(), "data");
    CHECK(m.subject == "employee.it.create");
    CHECK(m.content_type == "application/json");
    CHECK(m.body == R"({"time":"2027-01-01T00:00:00+01:00","uuid":"4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11"})");
}

TEST_CASE("pulp: what consumers of Pulp 2 notifications expect", "[format]") {
    const auto m = format_message(repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"added", 3}}), "pulp");
    CHECK(m.subject == "pulp.server.repo.sync.finish");
    CHECK(m.content_type == "application/json");
    CHECK(nlohmann::json::parse(m.body) ==
          nlohmann::json{{"event_type", "repo.sync.finish"},
                         {"payload", {{"repo_id", "zoo"}, {"result", "success"}, {"summary", {{"added", 3}}}}},
                         {"call_report", nullptr}});
}

TEST_CASE("pulp: the host's call_report is sent, kept through the outbox's JSON form, and checked", "[format]") {
    auto e = repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"added", 3}});
    const nlohmann::json report = {{"task_id", "7d0b1c8e"}, {"state", "finished"}, {"result", {{"added", 3}}}};
    e.set_call_report(report);
    CHECK(nlohmann::json::parse(format_message(e, "pulp").body).at("call_report") == report);
    // The other formats leave it out.
    CHECK_FALSE(nlohmann::json::parse(format_message(e, "cloudevents").body).contains("call_report"));
    CHECK(nlohmann::json::parse(format_message(e, "data").body) == e.data());
    // Stored and read back with the event (the outbox keeps the JSON form).
    const auto back = event_from_json(to_json(e));
    CHECK(back == e);
    CHECK(back.call_report() == report);
    CHECK_FALSE(to_json(repo_started(RepoOperation::sync, "zoo")).contains("call_report"));
    // The limits of data() apply, and the error names it.
    nlohmann::json deep = 1;
    for (int i = 0; i < 70; ++i) deep = nlohmann::json::array({deep});
    try {
        e.set_call_report(deep);
        FAIL("accepted");
    } catch (const notify::ValidationError& error) {
        CHECK(std::string(error.what()) == "invalid call_report: nested deeper than 64 levels");
    }
    CHECK(e.call_report() == report);  // unchanged
}

TEST_CASE("unknown formats are refused by name", "[format]") {
    CHECK_FALSE(is_message_format("xml"));
    CHECK(is_message_format("pulp"));
    CHECK_THROWS_WITH(format_message(Event("a"), "xml"), Catch::Contains("unknown message format 'xml'"));
}
