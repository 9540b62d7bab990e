// The well-known events (docs/events.md).
#include <notify/notify.hpp>

using namespace notify::core;

Event employee_it_created(const std::string& uuid, Timestamp effective) {
    return org_event(OrgService::employee, OrgObject::it, OrgAction::create, uuid, effective, "mo");
}

Event zoo_synced() {
    return repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"units_added", 3}});
}

// A mistake in an event is a notify::ValidationError naming it.
bool is_valid_type(const std::string& type) {
    try {
        Event probe(type);
        return true;
    } catch (const notify::ValidationError&) {
        return false;
    }
}
