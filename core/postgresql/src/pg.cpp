#include "pg.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "notify/core/error.hpp"
#include "notify/core/store_location.hpp"

namespace notify::store::postgresql::pg {

namespace {

// libpq's messages may span lines; notify's are one line.
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (std::size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "; ");
    return text;
}

// A unix socket, or an address of this machine's loopback interface. "localhost" counts
// (it names the loopback interface in every default setup); "127.example.org" does not.
bool is_loopback(std::string_view host) {
    if (host.empty() || host.front() == '/' || host.front() == '@' || host == "localhost") return true;
    const std::string text(host);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// Whether every entry of a comma-separated host list is local.
bool all_loopback(std::string_view hosts) {
    while (true) {
        const std::size_t comma = hosts.find(',');
        if (!is_loopback(hosts.substr(0, comma))) return false;
        if (comma == std::string_view::npos) return true;
        hosts.remove_prefix(comma + 1);
    }
}

}  // namespace

std::string masked_url(std::string_view url) { return core::mask_store_url(url); }

std::string text_array(const std::vector<std::string>& values) {
    std::size_t size = 2;
    for (const auto& v : values) size += v.size() + 3;
    std::string out;
    out.reserve(size);
    out += '{';
    for (const auto& v : values) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : v) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::string sslmode_for(std::string_view url) {
    char* error = nullptr;
    const std::string text(url);
    PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
    if (options == nullptr) {
        // libpq's reason quotes the part it could not read, which may be the password; a
        // key=value string that cannot be read cannot be masked either.
        PQfreemem(error);
        const bool is_url = url.find("://") != std::string_view::npos;
        throw StoreUnusable((is_url ? masked_url(url) : std::string("a key=value connection string")) +
                            ": not a PostgreSQL connection URL (postgresql://user@host:port/database?option=value, "
                            "or key=value pairs)");
    }
    std::string sslmode, hosts, hostaddrs;
    bool service = false;
    for (auto* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr || *o->val == '\0') continue;
        const std::string_view key(o->keyword);
        if (key == "sslmode") sslmode = o->val;
        if (key == "host") hosts = o->val;
        if (key == "hostaddr") hostaddrs = o->val;
        if (key == "service") service = true;
    }
    PQconninfoFree(options);
    const auto env = [](const char* name) {
        const char* value = std::getenv(name);
        return std::string(value != nullptr ? value : "");
    };
    if (!sslmode.empty()) return sslmode;
    if (const auto mode = env("PGSSLMODE"); !mode.empty()) return mode;
    // A service file names hosts this code cannot see: verify.
    if (service || !env("PGSERVICE").empty()) return "verify-full";
    if (hosts.empty()) hosts = env("PGHOST");
    if (hostaddrs.empty()) hostaddrs = env("PGHOSTADDR");
    // libpq connects to hostaddr when given (host then only names the certificate).
    if (!hostaddrs.empty()) return all_loopback(hostaddrs) ? "disable" : "verify-full";
    return all_loopback(hosts) ? "disable" : "verify-full";
}

std::string Result::text(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    return std::string(value, static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::integer(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    const std::string_view text(value, static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) {
        throw StoreError("PostgreSQL returned " + std::string(text) + " where an integer was expected");
    }
    return out;
}

std::int64_t Result::changed() const {
    const std::string_view text(PQcmdTuples(result_.get()));
    std::int64_t out = 0;
    std::from_chars(text.data(), text.data() + text.size(), out);
    return out;
}

Connection::Connection(const ConnectOptions& options)
    : conn_(nullptr, &PQfinish), masked_url_(pg::masked_url(options.url)) {
    const std::string sslmode = sslmode_for(options.url);
    // Notify's defaults first: the URL's own settings, expanded from dbname, override them;
    // an explicit password overrides the URL's.
    std::vector<const char*> keys{"sslmode", "connect_timeout", "application_name", "dbname"};
    const std::string timeout = std::to_string(options.connect_timeout);
    std::vector<const char*> values{sslmode.c_str(), timeout.c_str(), options.application_name.c_str(),
                                    options.url.c_str()};
    if (!options.password.empty()) {
        keys.push_back("password");
        values.push_back(options.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw StoreError(masked_url_ + ": cannot connect: out of memory");
    // The server's notices (and a closing connection's last words) would reach stderr raw;
    // what matters comes back as errors from the calls.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw StoreError(masked_url_ + ": cannot connect: " + one_line(PQerrorMessage(conn_.get())));
    }
}

void Connection::end_transaction() noexcept {
    if (lost() || PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
}

int Connection::notifications() {
    if (lost() || PQconsumeInput(conn_.get()) == 0) return 0;
    int count = 0;
    while (PGnotify* n = PQnotifies(conn_.get())) {
        PQfreemem(n);
        ++count;
    }
    return count;
}

void Connection::drain_idle_input() noexcept {
    // A server ending the session sends its reason, then closes: two reads, the second one
    // finding the end. Only what already arrived is read (poll with no wait).
    for (int reads = 0; reads < 8 && !lost(); ++reads) {
        pollfd p{PQsocket(conn_.get()), POLLIN, 0};
        if (p.fd < 0 || ::poll(&p, 1, 0) <= 0) return;
        if (PQconsumeInput(conn_.get()) == 0) return;
        PQisBusy(conn_.get());  // parses what came; a closed socket marks the connection bad
    }
}

void Connection::ready() {
    // Reads what the server sent while the connection sat idle, without waiting: a server
    // that restarted or ended the session said so and closed it, and libpq then knows the
    // connection is lost before a statement fails on it.
    drain_idle_input();
    if (!lost() && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
    if (!lost()) {
        PGresult* rollback = PQexec(conn_.get(), "ROLLBACK");
        const bool ended = rollback != nullptr && PQresultStatus(rollback) == PGRES_COMMAND_OK;
        PQclear(rollback);
        if (ended && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
    }
    PQreset(conn_.get());
    prepared_.clear();  // a new session has none
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw StoreError(masked_url_ + ": cannot connect again: " + one_line(PQerrorMessage(conn_.get())));
    }
}

Result Connection::exec_prepared(const std::string& name, const std::string& sql,
                                 const std::vector<std::optional<std::string>>& params) {
    if (std::find(prepared_.begin(), prepared_.end(), name) == prepared_.end()) {
        check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr), sql);
        prepared_.push_back(name);
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    return check(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                nullptr, 0),
                 sql);
}

Result Connection::exec(const std::string& sql) { return check(PQexec(conn_.get(), sql.c_str()), sql); }

Result Connection::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    return check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0),
                 sql);
}

Result check_result(PGconn* conn, PGresult* raw, const std::string& where, const std::string& sql) {
    Result result(raw);
    const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    std::string reason;
    if (raw != nullptr) {
        const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        if (primary != nullptr) reason = primary;
        if (state != nullptr) reason += std::string(" (SQLSTATE ") + state + ")";
    }
    if (reason.empty()) reason = one_line(PQerrorMessage(conn));
    if (PQstatus(conn) == CONNECTION_BAD) reason = "lost the connection: " + reason;
    const std::string_view statement(sql);
    throw StoreError(where + ": " + reason + " in: " +
                     std::string(statement.substr(0, std::min<std::size_t>(statement.size(), 60))));
}

Result Connection::check(PGresult* raw, const std::string& sql) {
    return check_result(conn_.get(), raw, masked_url_, sql);
}

}  // namespace notify::store::postgresql::pg
