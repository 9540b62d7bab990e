// Built by ctest twice: as is it must compile; with NOTIFY_MISSPELL it must not, because
// well-known event types are enumerations, not strings.
#include "notify/core/well_known.hpp"

using namespace notify::core;

int main() {
#ifdef NOTIFY_MISSPELL
    const auto type = org_event_type(OrgService::employe, OrgObject::it, OrgAction::create);
#else
    const auto type = org_event_type(OrgService::employee, OrgObject::it, OrgAction::create);
#endif
    return type.empty() ? 1 : 0;
}
