// Who may read and write the store (internal). The store holds listener secrets, so its
// folder is made 0700 and its files 0600 whatever the umask, and a store that other users
// could replace or edit is refused. docs/security.md, "Files".
#pragma once

#include <filesystem>

#include "notify/core/log.hpp"

namespace notify::core::store_permissions {

// Creates the missing folders of `store` (each 0700) and the store file itself (empty,
// 0600), so SQLite's -wal and -shm files, which copy the store file's mode, are 0600 too.
// Returns false when the file existed already. Throws notify::StoreError.
bool create(const std::filesystem::path& store);

// Refuses (notify::StoreUnusable) a store whose folder, file, -wal or -shm file users other
// than the owner can write (group or others); warns once per process and file through
// `log` when they can read the file.
void check(const std::filesystem::path& store, const LogFunction& log);

}  // namespace notify::core::store_permissions
