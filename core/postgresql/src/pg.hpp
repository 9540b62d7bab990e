// A thin RAII layer over libpq for the PostgreSQL store (internal): connecting with notify's
// TLS defaults and masked messages, running statements with text parameters.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify::store::postgresql::pg {

// Where and how to connect.
struct ConnectOptions {
    // A libpq connection URL (postgresql://user@host:port/db?sslmode=...) or key=value string.
    std::string url;
    // Used when not empty; else libpq's own sources apply (a password in the URL,
    // PGPASSWORD, ~/.pgpass).
    std::string password;
    std::string application_name = "notify";
    int connect_timeout = 10;  // seconds; the URL's connect_timeout wins
};

// `url` with any password in it replaced by "***": for messages and logs.
std::string masked_url(std::string_view url);

// A text[] literal for a statement parameter: every element quoted, '"' and '\\' escaped.
std::string text_array(const std::vector<std::string>& values);

// The sslmode notify uses for `url`: the URL's own, else PGSSLMODE, else "disable" when
// every host it connects to is local (a unix socket, 127.0.0.0/8, ::1, localhost: no
// network to protect) and "verify-full" (TLS, certificate and host name checked) for any
// other host, a service file's included. Throws StoreUnusable (the URL masked, without
// libpq's reason, which may quote the password) when libpq cannot parse the URL.
std::string sslmode_for(std::string_view url);

// One statement's outcome. Movable, not copyable; frees the libpq result.
class Result {
public:
    explicit Result(PGresult* result) noexcept : result_(result, &PQclear) {}
    int rows() const noexcept { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const noexcept { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const;
    std::int64_t integer(int row, int column) const;  // throws StoreError if not an integer
    // Rows changed by an INSERT, UPDATE or DELETE.
    std::int64_t changed() const;

private:
    std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// `raw` (a result on `conn`) when it succeeded; else throws notify::StoreError: "`where`:
// the server's message (SQLSTATE) in: the statement's start".
Result check_result(PGconn* conn, PGresult* raw, const std::string& where, const std::string& sql);

// One connection. Not thread-safe: one thread at a time. Every method throws
// notify::StoreError (the server's message and SQLSTATE; never a password) on failure.
class Connection {
public:
    // Connects at once. Throws notify::StoreError naming the masked URL and libpq's reason.
    explicit Connection(const ConnectOptions& options);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one or more statements without parameters (schema, BEGIN, COMMIT).
    Result exec(const std::string& sql);
    // Runs one statement with text parameters ($1, $2, ...); std::nullopt is SQL NULL.
    Result exec(const std::string& sql, const std::vector<std::optional<std::string>>& params);

    // Runs the statement `sql` prepared under `name` on this connection (prepared at the
    // first call, and again after the connection was opened anew): parsed and planned
    // once, for statements run often.
    Result exec_prepared(const std::string& name, const std::string& sql,
                         const std::vector<std::optional<std::string>>& params);

    // Whether the server went away (the connection is closed).
    bool lost() const noexcept { return PQstatus(conn_.get()) == CONNECTION_BAD; }
    // Makes the connection usable for a new transaction: connects again when it was lost
    // (also when the server closed it while idle, as a restart does),
    // ends a transaction a failure left open. Throws notify::StoreError as the constructor.
    void ready();
    // Rolls back the transaction under way, if any; never throws (a connection that cannot
    // is reset at the next ready()).
    void end_transaction() noexcept;

    // Reads what the server sent without waiting, and returns how many notifications
    // (LISTEN/NOTIFY) arrived since the last call. A lost connection returns 0: see lost().
    int notifications();

    // Whether the connection uses TLS.
    bool encrypted() const noexcept { return PQsslInUse(conn_.get()) != 0; }
    const std::string& masked_url() const noexcept { return masked_url_; }
    PGconn* native() noexcept { return conn_.get(); }

private:
    Result check(PGresult* result, const std::string& sql);
    // Reads what the server sent to an idle connection (see ready()).
    void drain_idle_input() noexcept;

    std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
    std::string masked_url_;
    std::vector<std::string> prepared_;  // names prepared on this session; cleared when it is reset
};

}  // namespace notify::store::postgresql::pg
