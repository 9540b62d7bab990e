// sqlite3 RAII wrappers.
#include "sqlite.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include "notify/core/error.hpp"

namespace notify::core::sqlite {

namespace {

constexpr int busy_timeout_ms = 10000;

// SQLite's own busy handler sleeps 1 ms and more between tries, which is long next to a
// 40 us commit. Back off from 20 us instead, up to 2 ms per sleep and 10 s in all.
int busy_wait(void* /*unused*/, int count) {
    static constexpr long first_us = 20;
    static constexpr long longest_us = 2000;
    static constexpr long tries_until_longest = 7;  // 20 us * 2^7 > 2 ms
    const long sleep_us = count < tries_until_longest ? first_us << count : longest_us;
    // Time already waited: the doubling phase, then whole longest sleeps.
    const long waited_us = count < tries_until_longest
                               ? first_us * ((1L << count) - 1)
                               : first_us * ((1L << tries_until_longest) - 1) +
                                     (count - tries_until_longest) * longest_us;
    if (waited_us >= busy_timeout_ms * 1000L) return 0;
    usleep(static_cast<useconds_t>(sleep_us));
    return 1;
}

}  // namespace

Database::Database(const std::filesystem::path& path, bool create) : path_(path.string()) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError(path_ + ": cannot open: " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_handler(db_, &busy_wait, nullptr);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(int rc, std::string_view what) const {
    std::string message = sqlite3_errmsg(db_);
    if (message.empty() || message == "not an error") message = sqlite3_errstr(rc);
    const int primary = rc & 0xff;  // extended result codes are on
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        throw StoreUnusable(path_ + ": " + std::string(what) + ": " + message + " (a damaged store; file left untouched)");
    }
    throw StoreError(path_ + ": " + std::string(what) + ": " + message);
}

void Database::exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "query failed");
}

Statement Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, "query failed");
    return Statement(*this, stmt);
}

std::int64_t Database::changes() const noexcept { return sqlite3_changes64(db_); }

std::int64_t Database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                       SQLITE_UTF8);
    if (rc != SQLITE_OK) db_->fail(rc, "bind failed");
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) db_->fail(rc, "bind failed");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    db_->fail(rc, "query failed");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace notify::core::sqlite
