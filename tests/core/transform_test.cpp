// Listener transforms: a jq program's first output as the message body, compared with the
// jq command (Debian's jq, the oracle); what handlers get from format_message().
#include <catch2/catch.hpp>

#include "jq_oracle.hpp"
#include "jq_program.hpp"
#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"

using namespace notify;
using namespace notify::core;
using namespace notify::test;
using Catch::Matchers::Contains;

namespace {

// What the jq command gives as the first output, parsed; null when nothing.
nlohmann::json jq_command(const TempDir& dir, const std::string& program, const std::string& input) {
    const std::string out = jq_first(dir, program, input);
    return out.empty() ? nlohmann::json() : nlohmann::json::parse(out);
}

Listener transforming(const std::string& program, const std::string& format = "cloudevents") {
    Listener l;
    l.kind = "http";
    l.format = format;
    l.event_types.emplace_back("#");
    l.transform = program;
    return l;
}

}  // namespace

TEST_CASE("a transform's body is jq's first output on the event's JSON form", "[transform]") {
    TempDir dir;
    const std::vector<std::string> programs = {
        R"({repo: .data.repo_id, ok: (.data.result == "success")})",
        R"({event_type: .type, payload: .data, call_report: null})",  // Pulp 2's shape
        R"(.data)",
        R"([.type, .source] | join("/"))",
        R"(.data | to_entries | map({(.key): (.value | tostring)}) | add)",
        R"(.data.units // [] | length)",
        R"({uuid: .data.uuid, time: .time} | with_entries(select(.value != null)))",
        R"(.data.repo_id, .type)",  // the first output is the body
    };
    const std::vector<Event> events = {
        Event("repo.sync.finish", {{"repo_id", "zoo"}, {"result", "success"}, {"units", {1, 2, 3}}}, "pulp"),
        Event("employee.it.create", {{"uuid", "8d4b1a52-0000-4000-8000-000000000001"}, {"time", "2026-12-05"}}, "os2mo"),
        Event("repo.publish.start", nlohmann::json::object(), "pulp"),
    };
    for (const auto& program : programs) {
        for (const auto& event : events) {
            const std::string json = to_json(event).dump();
            INFO(program << " on " << json);
            const auto message = format_message(event, transforming(program));
            CHECK(nlohmann::json::parse(message.body) == jq_command(dir, program, json));
            CHECK(message.content_type == "application/json");
            CHECK(message.subject == event.type());
            CHECK(message_body(event, transforming(program)) == jq_command(dir, program, json));
        }
    }
}

TEST_CASE("a transform keeps the format's subject and changes only body and content type", "[transform]") {
    const Event event("repo.sync.finish", {{"repo_id", "zoo"}}, "pulp");
    const auto pulp = format_message(event, transforming("{r: .data.repo_id}", "pulp"));
    CHECK(pulp.subject == "pulp.server.repo.sync.finish");
    CHECK(pulp.body == R"({"r":"zoo"})");
    Listener plain = transforming("");
    const auto untouched = format_message(event, plain);
    CHECK(untouched.content_type == "application/cloudevents+json");
    CHECK(untouched.body == format_message(event, "cloudevents").body);
}

TEST_CASE("a transform that fails on an event, or gives nothing, is a ValidationError naming the transform",
          "[transform]") {
    const Event event("repo.sync.finish", {{"repo_id", "zoo"}}, "pulp");
    CHECK_THROWS_WITH(format_message(event, transforming(".data.repo_id + 1")),
                      Contains("transform: ") && Contains("cannot be added"));
    CHECK_THROWS_WITH(format_message(event, transforming("empty")), Contains("transform: the program gave no output"));
    CHECK_THROWS_WITH(format_message(event, transforming(R"(error("no such repo"))")), Contains("no such repo"));
    CHECK_THROWS_AS(validate_transform("{repo: }"), ValidationError);
    CHECK_THROWS_WITH(validate_transform("{repo: }"), Contains("the transform does not compile: jq: error"));
    CHECK_THROWS_WITH(validate_transform(std::string(5000, ' ') + "."), Contains("the transform has 5001 bytes"));
}
