// Builders for organisation and repository events.
#include "notify/core/well_known.hpp"

#include <cctype>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

std::string_view to_string(OrgService service) noexcept {
    switch (service) {
        case OrgService::employee: return "employee";
        case OrgService::org_unit: return "org_unit";
    }
    return "?";
}

std::string_view to_string(OrgObject object) noexcept {
    switch (object) {
        case OrgObject::address: return "address";
        case OrgObject::association: return "association";
        case OrgObject::employee: return "employee";
        case OrgObject::engagement: return "engagement";
        case OrgObject::it: return "it";
        case OrgObject::leave: return "leave";
        case OrgObject::manager: return "manager";
        case OrgObject::org_unit: return "org_unit";
        case OrgObject::related_unit: return "related_unit";
        case OrgObject::role: return "role";
    }
    return "?";
}

std::string_view to_string(OrgAction action) noexcept {
    switch (action) {
        case OrgAction::create: return "create";
        case OrgAction::update: return "update";
        case OrgAction::delete_: return "delete";
    }
    return "?";
}

std::string_view to_string(RepoOperation operation) noexcept {
    switch (operation) {
        case RepoOperation::sync: return "sync";
        case RepoOperation::publish: return "publish";
    }
    return "?";
}

std::string_view to_string(RepoResult result) noexcept {
    switch (result) {
        case RepoResult::success: return "success";
        case RepoResult::failure: return "failure";
    }
    return "?";
}

std::string org_event_type(OrgService service, OrgObject object, OrgAction action) {
    std::string type(to_string(service));
    type += '.';
    type += to_string(object);
    type += '.';
    type += to_string(action);
    return type;
}

Event org_event(OrgService service, OrgObject object, OrgAction action, std::string_view uuid,
                Timestamp effective, std::string source) {
    return org_event(service, object, action, uuid, ZonedTime{effective, std::chrono::minutes(0)}, std::move(source));
}

Event org_event(OrgService service, OrgObject object, OrgAction action, std::string_view uuid,
                const ZonedTime& effective, std::string source) {
    // Consumers of these messages expect the canonical lower-case 36-character form.
    bool canonical = uuid.size() == 36;
    for (std::size_t i = 0; canonical && i < uuid.size(); ++i) {
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        canonical = dash_position ? uuid[i] == '-' : std::isxdigit(static_cast<unsigned char>(uuid[i])) != 0;
    }
    if (!canonical) {
        throw ValidationError("invalid uuid " + quote_text(uuid) +
                              ": expected 36 characters like 4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11");
    }
    std::string normalised(uuid);
    for (char& c : normalised) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Event event(org_event_type(service, object, action),
                {{"uuid", normalised}, {"time", format_iso_offset(effective)}}, std::move(source));
    event.set_effective(effective.instant);
    return event;
}

namespace {

std::string repo_type(RepoOperation operation, std::string_view phase) {
    return "repo." + std::string(to_string(operation)) + "." + std::string(phase);
}

void check_repo_id(std::string_view repo_id) {
    if (repo_id.empty() || repo_id.size() > 255 || has_control_chars(repo_id) ||
        !is_valid_utf8(repo_id)) {
        throw ValidationError("invalid repo_id " + quote_text(repo_id) +
                              ": it must be 1-255 bytes of UTF-8 without control characters");
    }
}

}  // namespace

Event repo_started(RepoOperation operation, std::string_view repo_id, std::string source) {
    check_repo_id(repo_id);
    return Event(repo_type(operation, "start"), {{"repo_id", repo_id}}, std::move(source));
}

Event repo_finished(RepoOperation operation, std::string_view repo_id, RepoResult result,
                    nlohmann::json summary, std::string source) {
    check_repo_id(repo_id);
    return Event(repo_type(operation, "finish"),
                 {{"repo_id", repo_id}, {"result", to_string(result)}, {"summary", std::move(summary)}},
                 std::move(source));
}

}  // namespace notify::core
