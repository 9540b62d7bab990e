// Events of every kind for the amqp tests, and what a consumer should get for each, per format.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "notify/core/event.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/well_known.hpp"

namespace notify::test {

// Two organisation events and three repository events, in this order:
// employee.it.create, repo.sync.start, repo.sync.finish, org_unit.manager.delete, repo.publish.finish.
inline std::vector<core::Event> mixed_events() {
    const auto when = core::parse_rfc3339("2027-01-01T00:00:00Z");
    return {
        core::org_event(core::OrgService::employee, core::OrgObject::it, core::OrgAction::create, "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11", when, "mo"),
        core::repo_started(core::RepoOperation::sync, "zoo", "pulp"),
        core::repo_finished(core::RepoOperation::sync, "zoo", core::RepoResult::success, {{"added", 3}}, "pulp"),
        core::org_event(core::OrgService::org_unit, core::OrgObject::manager, core::OrgAction::delete_, "5d4f1c7f-8d2e-4a66-8b8f-3c9a2d1e0f22", when, "mo"),
        core::repo_finished(core::RepoOperation::publish, "zoo", core::RepoResult::failure, {{"error", "disk full"}}, "pulp"),
    };
}

// What a consumer gets for `format` ("cloudevents" in `mode`): subject, content type, body,
// and the application properties: event-type, event-time and event-source on every message,
// the cloudEvents:* attributes in binary mode.
struct Expected {
    std::string subject, content_type, body;
    std::map<std::string, std::string> attributes;
};

inline Expected expected_message(const core::Event& e, const std::string& format, const std::string& mode) {
    std::map<std::string, std::string> own{
        {"event-type", e.type()}, {"event-time", core::format_rfc3339(e.time())}, {"event-source", e.source()}};
    if (format != "cloudevents" || mode != "binary") {
        const auto m = core::format_message(e, format);
        return {m.subject, m.content_type, m.body, own};
    }
    std::map<std::string, std::string> attributes{{"cloudEvents:specversion", "1.0"},
                                                  {"cloudEvents:id", e.id()},
                                                  {"cloudEvents:source", e.source()},
                                                  {"cloudEvents:type", e.type()},
                                                  {"cloudEvents:time", core::format_rfc3339(e.time())}};
    if (e.effective()) attributes["cloudEvents:effective"] = core::format_rfc3339(*e.effective());
    attributes.insert(own.begin(), own.end());
    return {e.type(), "application/json", e.data().dump(), attributes};
}

}  // namespace notify::test
