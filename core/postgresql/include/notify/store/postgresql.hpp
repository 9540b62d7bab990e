// The PostgreSQL store engine: listeners and the outbox in a database that a fleet of hosts
// shares (link notify::store_postgresql).
#pragma once

namespace notify::store::postgresql {

// Lets this process open stores named postgresql://... or postgres://... (a StoreLocation's
// url: ListenerStore, NotifierOptions::store). Call it once before opening one; calling it
// again does nothing. Thread-safe; never throws.
//
// Connecting honours libpq's own settings: the URL's options (sslmode, sslrootcert,
// connect_timeout, ...), PGPASSWORD, ~/.pgpass and the PG* environment. Without an sslmode,
// TLS with a verified certificate and host name is required for any host but a local one.
void enable() noexcept;

}  // namespace notify::store::postgresql
