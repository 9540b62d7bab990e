#include "pg.hpp"

#include <charconv>
#include <cstdlib>

#include "notify/core/error.hpp"

namespace notify::store::postgresql::pg {

namespace {

// libpq's messages may span lines; notify's are one line.
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (std::size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "; ");
    return text;
}

bool is_loopback(std::string_view host) {
    return host.empty() || host.front() == '/' || host.front() == '@' || host == "localhost" || host == "::1" ||
           host.substr(0, 4) == "127.";
}

// Masks the value after `key=` up to `end_chars` (or the end), from `from` on.
void mask_value(std::string& text, std::string_view key, std::string_view end_chars, std::size_t from) {
    for (std::size_t at = text.find(key, from); at != std::string::npos; at = text.find(key, at + 1)) {
        const bool starts_word = at == 0 || text[at - 1] == '?' || text[at - 1] == '&' || text[at - 1] == ' ';
        if (!starts_word) continue;
        const std::size_t value = at + key.size();
        std::size_t end = value;
        if (end < text.size() && text[end] == '\'') {
            end = text.find('\'', end + 1);
            end = end == std::string::npos ? text.size() : end + 1;
        } else {
            end = text.find_first_of(end_chars, value);
            if (end == std::string::npos) end = text.size();
        }
        text.replace(value, end - value, "***");
    }
}

}  // namespace

std::string masked_url(std::string_view url) {
    std::string out(url);
    const std::size_t scheme = out.find("://");
    if (scheme == std::string::npos) {  // key=value form
        mask_value(out, "password=", " ", 0);
        return out;
    }
    const std::size_t authority = scheme + 3;
    const std::size_t path = out.find_first_of("/?", authority);
    const std::size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
    if (at != std::string::npos && at >= authority) {
        const std::size_t colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    const std::size_t query = out.find('?', authority);
    if (query != std::string::npos) mask_value(out, "password=", "&", query);
    return out;
}

std::string sslmode_for(std::string_view url) {
    char* error = nullptr;
    const std::string text(url);
    PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
    if (options == nullptr) {
        const std::string reason = error != nullptr ? one_line(error) : "out of memory";
        PQfreemem(error);
        throw StoreUnusable(masked_url(url) + ": not a PostgreSQL connection URL: " + reason);
    }
    std::string sslmode, hosts;
    for (auto* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        if (std::string_view(o->keyword) == "sslmode") sslmode = o->val;
        if (std::string_view(o->keyword) == "host") hosts = o->val;
    }
    PQconninfoFree(options);
    if (!sslmode.empty()) return sslmode;
    if (const char* env = std::getenv("PGSSLMODE"); env != nullptr && *env != '\0') return env;
    if (hosts.empty()) {
        if (const char* env = std::getenv("PGHOST"); env != nullptr) hosts = env;
    }
    std::string_view rest(hosts);
    while (true) {
        const std::size_t comma = rest.find(',');
        if (!is_loopback(rest.substr(0, comma))) return "verify-full";
        if (comma == std::string_view::npos) return "disable";
        rest.remove_prefix(comma + 1);
    }
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
    std::vector<const char*> values{sslmode.c_str(), "10", options.application_name.c_str(), options.url.c_str()};
    if (!options.password.empty()) {
        keys.push_back("password");
        values.push_back(options.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw StoreError(masked_url_ + ": cannot connect: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw StoreError(masked_url_ + ": cannot connect: " + one_line(PQerrorMessage(conn_.get())));
    }
}

void Connection::reconnect() {
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw StoreError(masked_url_ + ": cannot connect again: " + one_line(PQerrorMessage(conn_.get())));
    }
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

Result Connection::check(PGresult* raw, const std::string& sql) {
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
    if (reason.empty()) reason = one_line(PQerrorMessage(conn_.get()));
    if (PQstatus(conn_.get()) == CONNECTION_BAD) reason = "lost the connection: " + reason;
    const std::string_view statement(sql);
    throw StoreError(masked_url_ + ": " + reason + " in: " +
                     std::string(statement.substr(0, std::min<std::size_t>(statement.size(), 60))));
}

}  // namespace notify::store::postgresql::pg
