// Event types, identity, validation and the JSON round trip.
#include <catch2/catch.hpp>

#include <set>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"

using namespace notify::core;
using Catch::Contains;

TEST_CASE("valid event types", "[event]") {
    for (const std::string& type : std::vector<std::string>{"a", "repo.sync.finish", "employee.it.create", "org_unit.related_unit.delete",
                                   "A-B_c.9", std::string(255, 'x'), std::string(127, 'a') + "." + std::string(127, 'b')}) {
        INFO(type);
        CHECK(is_valid_event_type(type));
        CHECK_NOTHROW(validate_event_type(type));
    }
}

TEST_CASE("invalid event types are rejected naming the type and the rule", "[event]") {
    struct Case {
        std::string type;
        std::string reason;
    };
    const Case cases[] = {
        {"", "it is empty"},
        {std::string(256, 'x'), "it is 256 bytes long"},
        {".a", "word 0 is empty"},
        {"a.", "word 2 is empty"},
        {"a..b", "word 2 is empty"},
        {"repo.*.finish", "wildcards belong in patterns"},
        {"#", "wildcards belong in patterns"},
        {"a b", "byte 1 is not allowed"},
        {"a/b", "byte 1 is not allowed"},
        {std::string("a\0b", 3), "byte 1 is not allowed"},
        {"a\r\nb", "byte 1 is not allowed"},
        {"caf\xc3\xa9", "byte 3 is not allowed"},
        {"\xff\xfe", "byte 0 is not allowed"},
    };
    for (const auto& c : cases) {
        INFO(c.type);
        CHECK_FALSE(is_valid_event_type(c.type));
        try {
            validate_event_type(c.type);
            FAIL("accepted");
        } catch (const notify::ValidationError& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Contains("invalid event type"));
            CHECK_THAT(message, Contains(c.reason));
            CHECK_THAT(message, Contains("dot-separated words"));
            CHECK(message.find('\n') == std::string::npos);
            CHECK(message.find('\r') == std::string::npos);
        }
        CHECK_THROWS_AS(Event(c.type), notify::ValidationError);
    }
}

TEST_CASE("a new event has a unique UUID id, the current time and an object payload", "[event]") {
    const auto before = now();
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(Event("repo.sync.start").id());
    CHECK(ids.size() == 1000);
    const Event e("repo.sync.start", {{"repo_id", "zoo"}}, "pulp");
    CHECK(e.id().size() == 36);
    CHECK(e.id()[14] == '4');  // version 4
    CHECK(e.time() >= before);
    CHECK(e.time() <= now());
    CHECK(e.type() == "repo.sync.start");
    CHECK(e.type_hash() == std::hash<std::string_view>{}("repo.sync.start"));
    CHECK(e.source() == "pulp");
    CHECK(e.data() == nlohmann::json{{"repo_id", "zoo"}});
    CHECK_FALSE(e.effective().has_value());
    CHECK(Event("a").data() == nlohmann::json::object());
    CHECK(Event("a").source() == "notify");
}

TEST_CASE("event data must be a JSON object", "[event]") {
    for (const auto& data : {nlohmann::json::array(), nlohmann::json(3), nlohmann::json("x"), nlohmann::json()}) {
        try {
            Event("a.b", data);
            FAIL("accepted " << data.dump());
        } catch (const notify::ValidationError& e) {
            CHECK_THAT(e.what(), Contains("must be a JSON object"));
        }
    }
    Event e("a.b");
    CHECK_THROWS_AS(e.set_data(nlohmann::json::array()), notify::ValidationError);
    CHECK(e.data() == nlohmann::json::object());  // unchanged
}

TEST_CASE("event ids are 1-255 printable ASCII bytes", "[event]") {
    Event e("a");
    e.set_id("order-42");
    CHECK(e.id() == "order-42");
    e.set_id(std::string(255, 'i'));
    for (const std::string& bad : {std::string(), std::string(256, 'i'), std::string("a b"), std::string("a\nb"),
                                  std::string("\xc3\xa9")}) {
        INFO(bad);
        CHECK_THROWS_AS(e.set_id(bad), notify::ValidationError);
    }
    CHECK(e.id() == std::string(255, 'i'));
}

TEST_CASE("event sources are non-empty text without control characters", "[event]") {
    Event e("a");
    for (const std::string& bad : {std::string(), std::string("a\r\nBcc: x"), std::string(1025, 's'),
                                  std::string("\xff")}) {
        CHECK_THROWS_AS(e.set_source(bad), notify::ValidationError);
    }
    e.set_source("https://pulp.example/api");
    CHECK(e.source() == "https://pulp.example/api");
}

TEST_CASE("JSON round trip", "[event]") {
    Event e("employee.it.create", {{"uuid", "u"}, {"nested", {{"list", {1, 2, 3}}}}}, "mo");
    e.set_effective(parse_rfc3339("2027-01-01T00:00:00Z"));
    const nlohmann::json j = e;
    CHECK(j.at("type") == "employee.it.create");
    CHECK(j.at("id") == e.id());
    CHECK(j.at("time") == format_rfc3339(e.time()));
    CHECK(j.at("effective") == "2027-01-01T00:00:00.000000Z");
    CHECK(j.at("source") == "mo");
    CHECK(j.at("data").at("nested").at("list") == nlohmann::json{1, 2, 3});
    CHECK(j.get<Event>() == e);
    CHECK(event_from_json(nlohmann::json::parse(j.dump())) == e);

    const Event plain("repo.sync.start");
    const nlohmann::json pj = to_json(plain);
    CHECK_FALSE(pj.contains("effective"));
    CHECK(event_from_json(pj) == plain);
}

TEST_CASE("malformed event JSON names the member at fault", "[event]") {
    const nlohmann::json good = to_json(Event("repo.sync.start"));
    struct Case {
        std::string member;
        nlohmann::json value;  // null = remove the member
        std::string expected;
    };
    const Case cases[] = {
        {"type", nullptr, "missing \"type\""},
        {"type", 5, "\"type\" must be a string"},
        {"type", "bad type", "invalid event type 'bad type'"},
        {"id", nullptr, "missing \"id\""},
        {"id", "", "invalid event id"},
        {"time", "yesterday", "invalid time 'yesterday'"},
        {"time", nullptr, "missing \"time\""},
        {"source", nullptr, "missing \"source\""},
        {"data", nlohmann::json::array(), "must be a JSON object"},
        {"effective", "soon", "invalid time 'soon'"},
    };
    for (const auto& c : cases) {
        INFO(c.member << " = " << c.value.dump());
        nlohmann::json j = good;
        if (c.value.is_null()) {
            j.erase(c.member);
        } else {
            j[c.member] = c.value;
        }
        try {
            event_from_json(j);
            FAIL("accepted");
        } catch (const notify::ValidationError& e) {
            CHECK_THAT(e.what(), Contains(c.expected));
        }
    }
    CHECK_THROWS_AS(event_from_json(nlohmann::json::array()), notify::ValidationError);
}

TEST_CASE("event data is bounded in size and depth", "[event]") {
    using namespace notify::core;
    const auto nested = [](std::size_t levels) {  // an object holding `levels` levels in all
        std::string text = "{\"a\":";
        for (std::size_t i = 1; i < levels; ++i) text += "[";
        text += "1";
        for (std::size_t i = 1; i < levels; ++i) text += "]";
        return nlohmann::json::parse(text + "}");
    };
    CHECK_NOTHROW(Event("repo.sync.finish", nested(64)));
    CHECK_THROWS_WITH(Event("repo.sync.finish", nested(65)), Catch::Contains("nested deeper than 64 levels"));
    CHECK_THROWS_WITH(Event("repo.sync.finish", nested(10000)), Catch::Contains("nested deeper than 64 levels"));
    CHECK_NOTHROW(Event("repo.sync.finish", {{"blob", std::string(1000 * 1000, 'x')}}));
    CHECK_THROWS_WITH(Event("repo.sync.finish", {{"blob", std::string(10 * 1024 * 1024, 'x')}}),
                      Catch::Contains("larger than 1024 KiB"));
    nlohmann::json many = nlohmann::json::object();
    for (int i = 0; i < 200000; ++i) many[std::string("k").append(std::to_string(i))] = i;
    CHECK_THROWS_WITH(Event("repo.sync.finish", many), Catch::Contains("larger than 1024 KiB"));
    // The same limits hold for events read back from JSON.
    auto json = to_json(Event("repo.sync.finish"));
    json["data"] = nested(65);
    CHECK_THROWS_AS(event_from_json(json), notify::ValidationError);
}

TEST_CASE("a host's correlation id is kept through the JSON form and checked like an id", "[event]") {
    Event e("repo.sync.finish");
    CHECK_FALSE(e.correlation_id().has_value());
    CHECK_FALSE(to_json(e).contains("correlation_id"));
    e.set_correlation_id("task-42");
    const auto json = to_json(e);
    CHECK(json.at("correlation_id") == "task-42");
    CHECK(event_from_json(json) == e);
    CHECK(event_from_json(json).correlation_id() == std::optional<std::string>("task-42"));
    CHECK_THROWS_WITH(e.set_correlation_id("two words"), Contains("invalid correlation id 'two words'"));
    CHECK_THROWS_WITH(e.set_correlation_id(""), Contains("1-255 bytes"));
    CHECK(e.correlation_id() == std::optional<std::string>("task-42"));  // unchanged by a refused value
    e.set_correlation_id(std::nullopt);
    CHECK_FALSE(e.correlation_id().has_value());
    auto bad = json;
    bad["correlation_id"] = 42;
    CHECK_THROWS_WITH(event_from_json(bad), Contains("\"correlation_id\" must be a string"));
}
