// The well-known events (docs/events.md).
#include <notify/notify.hpp>

using namespace notify::core;

// "time" in the data keeps the host's offset: {"uuid": ..., "time": "2027-01-01T00:00:00+01:00"}.
Event employee_it_created(const std::string& uuid) {
    return org_event(OrgService::employee, OrgObject::it, OrgAction::create, uuid,
                     parse_zoned("2027-01-01T00:00:00+01:00"), "mo");
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
