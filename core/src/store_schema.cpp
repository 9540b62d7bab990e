// Store file checks and schema migrations. A migration runs in one IMMEDIATE transaction
// that re-reads the version, so processes opening a new file together migrate it once.
#include "store_schema.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <system_error>
#include <thread>

#include "notify/core/error.hpp"
#include "store_permissions.hpp"

namespace notify::core::store_schema {

namespace {

// migrations[i] takes schema version i to i + 1. Append only; never edit a shipped step.
constexpr const char* migrations[] = {
    R"sql(
    CREATE TABLE listeners (
        id                    TEXT PRIMARY KEY,
        kind                  TEXT NOT NULL,
        event_types           TEXT NOT NULL,  -- JSON array of patterns
        format                TEXT NOT NULL,
        settings              TEXT NOT NULL,  -- JSON object
        secret_keys           TEXT NOT NULL,  -- JSON array of setting names
        delay_until_effective INTEGER NOT NULL DEFAULT 0,
        created               TEXT NOT NULL,
        updated               TEXT NOT NULL
    ) STRICT;
    CREATE TABLE store_meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) STRICT;
    INSERT INTO store_meta (key, value) VALUES ('listeners_revision', 0);
    )sql",
    // 2: the outbox. Times are microseconds since the epoch (UTC).
    R"sql(
    CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- fire order; never reused
        delivery_id  TEXT NOT NULL,
        listener_id  TEXT NOT NULL,
        event        TEXT NOT NULL,        -- the event's JSON form
        created_at   INTEGER NOT NULL,
        due_at       INTEGER NOT NULL,     -- earliest start of the next attempt
        owner        INTEGER,              -- processes.id of the process holding it; NULL = parked
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        dead_at      INTEGER               -- set when it became a dead letter
    ) STRICT;
    -- Only parked rows are indexed, so the insert a fire() makes touches one B-tree.
    CREATE INDEX outbox_parked ON outbox (listener_id, due_at, seq)
        WHERE owner IS NULL AND dead_at IS NULL;
    CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
    CREATE TABLE delivery_counts (
        listener_id TEXT PRIMARY KEY,
        delivered   INTEGER NOT NULL DEFAULT 0,
        retried     INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE processes (
        id           INTEGER PRIMARY KEY,
        host         TEXT NOT NULL,
        boot_id      TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        started      INTEGER NOT NULL,     -- start time from /proc/<pid>/stat, against pid reuse
        heartbeat_at INTEGER NOT NULL
    ) STRICT;
    )sql",
    // 3: the rows each process holds, by listener: a claim sees in one probe whether another
    // process delivers the listener (docs/delivery.md, Ordering).
    R"sql(
    CREATE INDEX outbox_held ON outbox (listener_id, owner) WHERE owner IS NOT NULL;
    )sql",
    // 4: a listener's jq filter ('' = none).
    R"sql(
    ALTER TABLE listeners ADD COLUMN event_filter TEXT NOT NULL DEFAULT '';
    )sql",
    // 5: a listener's transform, rate, digest and mail limit, as a JSON object.
    R"sql(
    ALTER TABLE listeners ADD COLUMN delivery_rules TEXT NOT NULL DEFAULT '{}';
    )sql",
};
static_assert(std::size(migrations) == current_version);

// Two processes creating the same new store at once race in SQLite's switch to WAL and
// report "disk I/O error" or "database is locked". Opening, checking and migrating are
// therefore serialised across processes with flock() on the store's folder: a BSD lock,
// which does not interfere with SQLite's POSIX locks on the database file itself.
class FolderLock {
public:
    explicit FolderLock(const std::filesystem::path& folder) {
        fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) return;  // unreadable folder: go on unserialised, as SQLite alone would
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) return;
            if (std::chrono::steady_clock::now() > deadline) {
                throw StoreError(folder.string() + ": another process kept the store locked for 30 s while opening it");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    ~FolderLock() {
        if (fd_ >= 0) ::close(fd_);  // closing releases the flock
    }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    int fd_ = -1;
};

struct Header {
    std::int64_t application_id = 0;
    std::int64_t version = 0;
    std::int64_t objects = 0;
};

std::int64_t single_integer(sqlite::Database& db, const char* sql) {
    auto stmt = db.prepare(sql);
    return stmt.step() ? stmt.integer(0) : 0;
}

Header read_header(sqlite::Database& db) {
    Header h;
    h.application_id = single_integer(db, "PRAGMA application_id");
    h.version = single_integer(db, "PRAGMA user_version");
    h.objects = single_integer(db, "SELECT count(*) FROM sqlite_schema");
    return h;
}

std::string hex(std::int64_t value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%08llx", static_cast<unsigned long long>(value) & 0xffffffffULL);
    return buffer;
}

void migrate(sqlite::Database& db) {
    sqlite::Transaction tx(db);
    const std::int64_t version = single_integer(db, "PRAGMA user_version");
    if (version >= current_version) return;  // another process got here first
    for (auto v = version; v < current_version; ++v) db.exec(migrations[v]);
    db.exec(("PRAGMA application_id = " + std::to_string(application_id)).c_str());
    db.exec(("PRAGMA user_version = " + std::to_string(current_version)).c_str());
    tx.commit();
}

}  // namespace

const char* outbox_tables_sql() noexcept { return migrations[1]; }

StoreHeader inspect(const std::filesystem::path& path) {
    StoreHeader h;
    const std::string name = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        h.problem = name + ": no store file (it is created at the first use)";
        return h;
    }
    if (!std::filesystem::is_regular_file(status)) {
        h.problem = name + ": the store path is not a regular file";
        return h;
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.permissions()) & 07777U);
    h.facts.push_back({"file mode", mode});
    h.facts.push_back({"size", std::to_string(std::filesystem::file_size(path, ec)) + " bytes"});
    try {
        store_permissions::check(path, [](LogLevel, std::string_view) {});
        sqlite::Database db(path, false);
        const Header header = read_header(db);
        if (header.application_id != application_id) {
            h.problem = name + ": not a notify store (application_id " + hex(header.application_id) + ")";
            return h;
        }
        h.exists = true;
        h.version = static_cast<int>(header.version);
        auto check = db.prepare("PRAGMA quick_check");
        const std::string verdict = check.step() ? check.text(0) : "no answer";
        h.facts.push_back({"integrity", verdict});
        if (verdict != "ok") h.problem = name + ": damaged (quick_check: " + verdict + ")";
    } catch (const StoreError& e) {
        h.problem = e.what();
    }
    return h;
}

std::unique_ptr<sqlite::Database> open(const std::filesystem::path& path, const LogFunction& log) {
    const std::string name = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    const bool exists = std::filesystem::exists(status);
    if (exists && !std::filesystem::is_regular_file(status)) {
        throw StoreUnusable(name + ": the store path is not a regular file");
    }
    if (!exists) store_permissions::create(path);
    store_permissions::check(path, log);

    const FolderLock lock(std::filesystem::absolute(path).parent_path());
    auto db = std::make_unique<sqlite::Database>(path, false);
    Header header;
    try {
        header = read_header(*db);
    } catch (const StoreError& e) {
        throw StoreUnusable(std::string(e.what()) + " (not a usable notify store; file left untouched)");
    }

    const bool fresh = header.application_id == 0 && header.version == 0 && header.objects == 0;
    if (!fresh && header.application_id != application_id) {
        throw StoreUnusable(name + ": an SQLite database of another program (application_id " +
                         hex(header.application_id) + ", " + std::to_string(header.objects) +
                         " schema objects); notify will not touch it");
    }
    if (header.version > current_version) {
        throw StoreUnusable(name + ": written by a newer notify (store schema " +
                         std::to_string(header.version) + ", this build knows up to " +
                         std::to_string(current_version) + "); file left untouched");
    }

    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
    if (header.version < current_version) migrate(*db);
    return db;
}

}  // namespace notify::core::store_schema
