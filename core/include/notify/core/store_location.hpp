// StoreLocation: where notify keeps listeners and the outbox. An SQLite file (the default,
// embedded, no server), or a store engine's database named by a URL, such as
// postgresql://notify@db.example:5432/app (enable the engine first: notify/store/postgresql.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace notify::core {

// A plain value; copy it freely.
struct StoreLocation {
    std::filesystem::path path;  // the SQLite file, when url is empty
    std::string url;             // a store engine's database; wins over path when set
    // The password for url. Secret: never shown. Empty: the engine's own sources (for
    // PostgreSQL: a password in the URL, then PGPASSWORD, then ~/.pgpass).
    std::string password;
    std::string schema = "notify";  // for url: the database schema holding notify's tables

    StoreLocation() = default;
    StoreLocation(std::filesystem::path file) : path(std::move(file)) {}  // NOLINT: implicit on purpose

    bool is_file() const noexcept { return url.empty(); }
    bool empty() const noexcept { return url.empty() && path.empty(); }
    // The engine url names: the text before "://" in lower case ("postgresql"), or "sqlite"
    // for a file. "" when url has no scheme.
    std::string engine() const;
    // For messages and logs: the file, or the URL with any password in it masked and the
    // schema when it is not "notify".
    std::string describe() const;
};

// `url` with the password in its user info and any password=... query value replaced by
// "***"; a key=value string (libpq's other form) gets its password=... value masked.
std::string mask_store_url(std::string_view url);

}  // namespace notify::core
