// The listeners table in a PostgreSQL schema (internal; see core/src/listener_rows.hpp).
#pragma once

#include <memory>
#include <string>

#include "listener_rows.hpp"
#include "pg.hpp"

namespace notify::store::postgresql {

// Connects and creates or migrates notify's tables in `schema` (see open_schema()). One
// connection, one call at a time; a lost connection is opened again at the next call.
std::unique_ptr<core::ListenerRows> pg_listener_rows(const pg::ConnectOptions& options, const std::string& schema);

}  // namespace notify::store::postgresql
