// The PostgreSQL store engine: listeners and the outbox in a database that a fleet of hosts
// shares (link notify::store_postgresql).
#pragma once

#include "notify/core/event.hpp"
#include "notify/core/notifier.hpp"

struct pg_conn;  // libpq's PGconn

namespace notify::store::postgresql {

// Lets this process open stores named postgresql://... or postgres://... (a StoreLocation's
// url: ListenerStore, NotifierOptions::store). Call it once before opening one; calling it
// again does nothing. Thread-safe; throws only std::bad_alloc.
//
// Connecting honours libpq's own settings: the URL's options (sslmode, sslrootcert,
// connect_timeout, ...), PGPASSWORD, ~/.pgpass and the PG* environment. Without an sslmode,
// TLS with a verified certificate and host name is required for any host but a local one.
void enable();

// The transactional outbox: stores `event`'s deliveries through `connection` (the host's
// libpq connection), inside the transaction the host has open on it, so that they exist if
// and only if that transaction commits. Rolled back: nothing is ever delivered. Committed:
// every matching listener gets the event once, from whichever process delivers (the
// commit wakes them). `notifier` routes the event (its listeners) and names the store (its
// options.store: url and schema); `connection` must reach the same database.
//
// Any isolation level works; the rows are only inserted, so they never conflict. The
// commit takes PostgreSQL's server-wide notification lock (it wakes the delivering
// processes). The
// receipt's deliveries exist only once the transaction commits (Notifier::status() reads a
// missing row as delivered). The event is not published on notifier.bus().
//
// Thread-safe as far as notify goes; `connection` is the host's, one thread at a time.
// Throws notify::ValidationError when `connection` has no transaction open (or a failed
// one), or the notifier's store is not PostgreSQL; notify::StoreError when the server
// refuses the rows (the host's transaction is then failed: roll it back); notify::Error
// after notifier.stop().
core::FireReceipt fire_in_transaction(core::Notifier& notifier, pg_conn* connection, const core::Event& event);

}  // namespace notify::store::postgresql
