// Opening, checking and migrating the notify store file (internal).
#pragma once

#include <filesystem>
#include <memory>

#include "notify/core/log.hpp"
#include "sqlite.hpp"
#include "store_header.hpp"

namespace notify::core::store_schema {

inline constexpr int application_id = 0x4e4f5446;  // "NOTF" in the SQLite header
inline constexpr int current_version = 5;

// Opens the store at `path`, creating it (and its folder) privately when missing, and
// migrates it to current_version. Throws notify::StoreError, leaving the file untouched,
// when it is not an SQLite database, is damaged, belongs to another program, has a newer
// schema or other users could change it (store_permissions::check; warnings go to `log`).
std::unique_ptr<sqlite::Database> open(const std::filesystem::path& path, const LogFunction& log);

// What the file at `path` holds, without creating, migrating or changing it.
StoreHeader inspect(const std::filesystem::path& path);

// The outbox tables alone, for an in-memory outbox.
const char* outbox_tables_sql() noexcept;

}  // namespace notify::core::store_schema
