// Thin RAII layer over the sqlite3 C API (internal): a connection, statements, transactions.
// Every failure throws notify::StoreError with the file name and SQLite's own message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace notify::core::sqlite {

class Statement;

class Database {
public:
    // Opens `path` read-write; creates it only when `create` is set. Sets a busy timeout.
    Database(const std::filesystem::path& path, bool create);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(const char* sql);
    Statement prepare(std::string_view sql);
    // Prepares, binds `args` to ?1, ?2, ... and runs a statement that returns no rows.
    template <typename... Args>
    void run(std::string_view sql, const Args&... args);
    std::int64_t changes() const noexcept;
    std::int64_t last_insert_rowid() const noexcept;
    const std::string& path() const noexcept { return path_; }

    // Throws StoreError("<path>: <what>: <sqlite message>") for result code `rc`.
    [[noreturn]] void fail(int rc, std::string_view what) const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Statement {
public:
    Statement(Database& db, sqlite3_stmt* stmt) noexcept : db_(&db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    // True while a row is available; false once done.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    void reset() noexcept;

    std::string text(int column) const;
    std::int64_t integer(int column) const;
    bool is_null(int column) const;

private:
    Database* db_;
    sqlite3_stmt* stmt_;
};

template <typename... Args>
void Database::run(std::string_view sql, const Args&... args) {
    auto statement = prepare(sql);
    int index = 0;
    (statement.bind(++index, args), ...);
    statement.run();
}

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace notify::core::sqlite
