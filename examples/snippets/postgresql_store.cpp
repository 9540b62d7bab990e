// A host on a PostgreSQL store, writing an event in the same transaction as the change it
// describes (docs/embedding.md).
#include <libpq-fe.h>

#include <notify/notify.hpp>
#include <notify/store/postgresql.hpp>

void record_hire(notify::core::Notifier& notifier, PGconn* db, const std::string& employee_uuid) {
    using namespace notify::core;
    PQclear(PQexec(db, "BEGIN"));
    // ... the host's own INSERT/UPDATE of the employee, on the same connection ...
    try {
        notify::store::postgresql::fire_in_transaction(
            notifier, db, org_event(OrgService::employee, OrgObject::employee, OrgAction::create, employee_uuid, now()));
    } catch (const notify::Error&) {
        PQclear(PQexec(db, "ROLLBACK"));  // neither the change nor its event
        throw;
    }
    PQclear(PQexec(db, "COMMIT"));  // both, and the delivering processes wake up
}

void open_fleet_notifier() {
    notify::store::postgresql::enable();  // once, before opening a postgresql:// store
    notify::core::NotifierOptions options;
    options.store.url = "postgresql://notify@db.internal:5432/hr";  // TLS verified: not a local host
    options.store.schema = "notify";                                // password: PGPASSWORD or ~/.pgpass
    options.dispatch = false;  // notify serve processes deliver; this process only stores
    notify::core::Notifier notifier(options);
}
