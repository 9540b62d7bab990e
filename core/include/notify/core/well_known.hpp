// Typed builders for the well-known events: organisation object changes and repository
// sync/publish. Enumerations make a misspelt service, object type or action a compile error.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "notify/core/event.hpp"

namespace notify::core {

// Organisation object changes: "<service>.<object>.<action>", e.g. "employee.it.create".
enum class OrgService { employee, org_unit };
enum class OrgObject {
    address, association, employee, engagement, it, leave, manager, org_unit, related_unit, role
};
// `delete_` is spelt "delete" in the event type (delete is a C++ keyword).
enum class OrgAction { create, update, delete_ };

inline constexpr std::array all_org_services{OrgService::employee, OrgService::org_unit};
inline constexpr std::array all_org_objects{
    OrgObject::address, OrgObject::association, OrgObject::employee, OrgObject::engagement,
    OrgObject::it,      OrgObject::leave,       OrgObject::manager,  OrgObject::org_unit,
    OrgObject::related_unit, OrgObject::role};
inline constexpr std::array all_org_actions{OrgAction::create, OrgAction::update,
                                            OrgAction::delete_};

std::string_view to_string(OrgService service) noexcept;
std::string_view to_string(OrgObject object) noexcept;
std::string_view to_string(OrgAction action) noexcept;

// "employee.it.create" and so on.
std::string org_event_type(OrgService service, OrgObject object, OrgAction action);

// An organisation change event with data {"uuid": uuid, "time": <effective>} and
// effective() = the instant. "time" keeps the host's UTC offset, as its consumers read it
// ("2027-01-01T00:00:00+01:00", format_iso_offset); a plain Timestamp is written at +00:00.
// `uuid` names the affected employee or organisation unit and must be a UUID in its
// 36-character text form; anything else throws notify::ValidationError.
Event org_event(OrgService service, OrgObject object, OrgAction action, std::string_view uuid,
                const ZonedTime& effective, std::string source = std::string(default_event_source));
Event org_event(OrgService service, OrgObject object, OrgAction action, std::string_view uuid,
                Timestamp effective, std::string source = std::string(default_event_source));

// Repository events: repo.sync.start, repo.sync.finish, repo.publish.start, repo.publish.finish.
enum class RepoOperation { sync, publish };
enum class RepoResult { success, failure };

std::string_view to_string(RepoOperation operation) noexcept;
std::string_view to_string(RepoResult result) noexcept;

// Data {"repo_id": repo_id}. `repo_id` must be 1-255 bytes without control characters.
Event repo_started(RepoOperation operation, std::string_view repo_id,
                   std::string source = std::string(default_event_source));
// Data {"repo_id": repo_id, "result": "success"|"failure", "summary": summary}.
Event repo_finished(RepoOperation operation, std::string_view repo_id, RepoResult result,
                    nlohmann::json summary = nlohmann::json::object(),
                    std::string source = std::string(default_event_source));

}  // namespace notify::core
