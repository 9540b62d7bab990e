// notify's tables in a PostgreSQL schema: created on first use, migrated step by step
// (internal).
#pragma once

#include <string>

#include "pg.hpp"
#include "store_header.hpp"

namespace notify::store::postgresql {

// The schema version this build writes. Versions are shared with the SQLite store
// (store_schema::current_version): version N has the same tables and meaning on both.
inline constexpr int schema_version = 5;

// `name` as an SQL identifier. Throws notify::ValidationError unless it is 1 to 63 of
// a-z, 0-9 and _, not starting with a digit (a name PostgreSQL keeps as written).
std::string quoted_schema(const std::string& name);

// `sql` with every "{s}" replaced by `quoted` (a quoted_schema()).
std::string with_schema(std::string sql, const std::string& quoted);

// The LISTEN/NOTIFY channel on which the processes using schema `name` (a valid schema
// name) announce what others should look at now: parked deliveries, changed listeners.
std::string change_channel(const std::string& name);
// Announces a change on `channel`: sent when the transaction under way commits (never
// when it rolls back), at once outside one. Throws notify::StoreError.
void announce_change(pg::Connection& connection, const std::string& channel);

// Creates notify's tables in schema `name` (the schema too, when missing), or migrates them
// to schema_version: in one transaction, under an advisory lock, so that processes opening
// a new database at once migrate it once. Throws notify::StoreUnusable, changing nothing,
// when the schema holds tables without notify's version table (another program's) or a
// newer notify's version; notify::StoreError when the server refuses (e.g. no CREATE right).
void open_schema(pg::Connection& connection, const std::string& name);

// What schema `name` holds, without creating or changing anything; facts name the server,
// its version and whether the connection uses TLS. Throws notify::StoreError when the
// server refuses a query.
core::StoreHeader inspect_schema(pg::Connection& connection, const std::string& name);

}  // namespace notify::store::postgresql
