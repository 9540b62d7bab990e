// Typed builders for organisation and repository events.
#include <catch2/catch.hpp>

#include <set>

#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"

using namespace notify::core;

TEST_CASE("organisation events carry uuid and effective time", "[well_known]") {
    const Timestamp effective = parse_rfc3339("2027-02-01T00:00:00+01:00");
    const Event e = org_event(OrgService::employee, OrgObject::it, OrgAction::create,
                              "4C3E0B6E-7C1D-4F55-9A7E-2B8F1C0D9E11", parse_zoned("2027-02-01T00:00:00+01:00"), "mo");
    CHECK(e.type() == "employee.it.create");
    // The host's offset is kept: the day a consumer reads is the day the host meant.
    CHECK(e.data() == nlohmann::json{{"uuid", "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11"},
                                     {"time", "2027-02-01T00:00:00+01:00"}});
    REQUIRE(e.effective().has_value());
    CHECK(*e.effective() == effective);
    CHECK(e.source() == "mo");
    CHECK(org_event_type(OrgService::org_unit, OrgObject::manager, OrgAction::delete_) ==
          "org_unit.manager.delete");
    CHECK(org_event_type(OrgService::org_unit, OrgObject::related_unit, OrgAction::update) ==
          "org_unit.related_unit.update");
}

TEST_CASE("organisation event times are written as Python's isoformat() writes them, never with Z", "[well_known]") {
    const auto time_of = [](const ZonedTime& t) {
        return org_event(OrgService::org_unit, OrgObject::manager, OrgAction::delete_,
                         "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11", t)
            .data()
            .at("time")
            .get<std::string>();
    };
    CHECK(time_of(parse_zoned("2027-01-01T00:00:00+01:00")) == "2027-01-01T00:00:00+01:00");
    CHECK(time_of(parse_zoned("2027-06-30T23:30:00.250000-05:30")) == "2027-06-30T23:30:00.250000-05:30");
    CHECK(time_of(parse_zoned("2027-01-01T00:00:00Z")) == "2027-01-01T00:00:00+00:00");
    // A plain Timestamp is UTC: written at +00:00.
    const auto plain = org_event(OrgService::employee, OrgObject::it, OrgAction::create,
                                 "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11", parse_rfc3339("2027-01-01T00:00:00.000001+01:00"));
    CHECK(plain.data().at("time") == "2026-12-31T23:00:00.000001+00:00");
    // The offset moves the wall clock, not the instant.
    const auto zoned = parse_zoned("2027-01-01T00:00:00+01:00");
    CHECK(zoned.instant == parse_rfc3339("2026-12-31T23:00:00Z"));
    CHECK(zoned.offset == std::chrono::minutes(60));
    CHECK(parse_zoned("2027-01-01T00:00:00-02:15").offset == std::chrono::minutes(-135));
    CHECK_THROWS_AS(format_iso_offset({zoned.instant, std::chrono::hours(24)}), notify::ValidationError);
    CHECK_THROWS_AS(parse_zoned("2027-01-01 00:00:00+01:00"), notify::ValidationError);
}

TEST_CASE("organisation event uuids must be canonical UUIDs", "[well_known]") {
    for (const char* bad : {"", "not-a-uuid", "{4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11}",
                            "4c3e0b6e7c1d4f559a7e2b8f1c0d9e11", "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e1g"}) {
        INFO(bad);
        CHECK_THROWS_AS(org_event(OrgService::employee, OrgObject::role, OrgAction::update, bad, now()),
                        notify::ValidationError);
    }
}

TEST_CASE("all 60 organisation types are distinct, valid and catalogued", "[well_known]") {
    const auto catalogue = EventCatalogue::with_well_known();
    std::set<std::string> types;
    for (auto s : all_org_services)
        for (auto o : all_org_objects)
            for (auto a : all_org_actions) {
                const auto type = org_event_type(s, o, a);
                CHECK(is_valid_event_type(type));
                CHECK(catalogue.contains(type));
                types.insert(type);
            }
    CHECK(types.size() == 60);
}

TEST_CASE("repository events", "[well_known]") {
    const Event start = repo_started(RepoOperation::sync, "zoo", "pulp");
    CHECK(start.type() == "repo.sync.start");
    CHECK(start.data() == nlohmann::json{{"repo_id", "zoo"}});
    CHECK(start.source() == "pulp");

    const Event done = repo_finished(RepoOperation::publish, "zoo", RepoResult::failure,
                                     {{"error", "disk full"}, {"units", 3}});
    CHECK(done.type() == "repo.publish.finish");
    CHECK(done.data() == nlohmann::json{{"repo_id", "zoo"},
                                        {"result", "failure"},
                                        {"summary", {{"error", "disk full"}, {"units", 3}}}});
    CHECK(repo_finished(RepoOperation::sync, "r", RepoResult::success).data().at("result") == "success");
    CHECK(repo_started(RepoOperation::publish, "r").type() == "repo.publish.start");

    CHECK_THROWS_AS(repo_started(RepoOperation::sync, ""), notify::ValidationError);
    CHECK_THROWS_AS(repo_started(RepoOperation::sync, "a\nb"), notify::ValidationError);
    CHECK_THROWS_AS(repo_started(RepoOperation::sync, std::string(256, 'r')), notify::ValidationError);
}
