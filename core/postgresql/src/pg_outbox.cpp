#include "pg_outbox.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <type_traits>

#include "notify/core/error.hpp"

#include "pg_schema.hpp"
#include "process_identity.hpp"

namespace notify::store::postgresql {

using core::Completion;
using core::Micros;
using core::OutboxRow;

namespace {

#define NOTIFY_PG_ROW_COLUMNS "seq, delivery_id, listener_id, event, created_at, due_at, attempts, last_error, dead_at, owner"

OutboxRow read_row(const pg::Result& r, int i) {
    OutboxRow row;
    row.seq = r.integer(i, 0);
    row.delivery_id = r.text(i, 1);
    row.listener_id = r.text(i, 2);
    row.event_json = r.text(i, 3);
    row.created_at = r.integer(i, 4);
    row.due_at = r.integer(i, 5);
    row.attempts = static_cast<int>(r.integer(i, 6));
    if (!r.is_null(i, 7)) row.last_error = r.text(i, 7);
    if (!r.is_null(i, 8)) row.dead_at = r.integer(i, 8);
    row.owned = !r.is_null(i, 9);
    return row;
}

std::vector<OutboxRow> read_rows(const pg::Result& r) {
    std::vector<OutboxRow> rows;
    rows.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) rows.push_back(read_row(r, i));
    return rows;
}

// A bigint[] literal: only digits and signs, nothing to escape.
std::string array_of(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (const auto v : values) {
        if (out.size() > 1) out += ',';
        out += std::to_string(v);
    }
    return out + "}";
}

std::string str(std::int64_t v) { return std::to_string(v); }

}  // namespace

PgOutbox::PgOutbox(const pg::ConnectOptions& options, const std::string& schema)
    : options_(options),
      schema_(quoted_schema(schema)),
      channel_(change_channel(schema)),
      connection_(options),
      appender_(options, schema_, channel_) {
    open_schema(connection_, schema);
}

bool PgOutbox::changed() {
    std::lock_guard lock(listen_mutex_);
    if (listen_ && !listen_->lost()) {
        if (listen_->notifications() > 0) return true;
        if (!listen_->lost()) return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now < next_listen_try_) return false;
    next_listen_try_ = now + std::chrono::seconds(1);
    try {
        if (listen_) {
            listen_->ready();
        } else {
            // The scheduler's thread waits for this: a server that does not answer must not
            // hold up heartbeats and claims for long (polling covers the gap).
            auto options = options_;
            options.connect_timeout = 2;
            listen_ = std::make_unique<pg::Connection>(options);
        }
        listen_->exec("LISTEN \"" + channel_ + "\"");  // the channel holds no quote
        return true;
    } catch (const StoreError&) {
        return false;
    }
}

std::string PgOutbox::sql(const char* text) const { return with_schema(text, schema_); }

void PgOutbox::settle_claims() {
    if (unsettled_claims_.empty()) return;
    const std::string park = sql("UPDATE {s}.outbox SET owner = NULL WHERE seq = $1 AND owner = $2");
    for (const auto& [seq, owner] : unsettled_claims_) connection_.exec(park, {str(seq), str(owner)});
    unsettled_claims_.clear();
    announce_change(connection_, channel_);
}

template <typename Work>
auto PgOutbox::run(const char* begin, Work&& work) {
    std::lock_guard lock(mutex_);
    connection_.ready();
    settle_claims();
    if (begin == nullptr) return work(connection_);
    connection_.exec(begin);
    try {
        if constexpr (std::is_void_v<decltype(work(connection_))>) {
            work(connection_);
            connection_.exec("COMMIT");
        } else {
            auto out = work(connection_);
            connection_.exec("COMMIT");
            return out;
        }
    } catch (...) {
        connection_.end_transaction();  // its row locks must not wait for the next call
        throw;
    }
}

std::vector<std::int64_t> PgOutbox::append(const std::string& event_json, Micros created_at,
                                           const std::vector<core::OutboxInsert>& inserts, std::int64_t owner) {
    return append_batch({{&event_json, &inserts}}, created_at, owner);
}

std::vector<std::int64_t> PgOutbox::append_batch(const std::vector<AppendItem>& items, Micros created_at,
                                                 std::int64_t owner) {
    return appender_.append(items, created_at, owner);
}

std::vector<OutboxRow> PgOutbox::claim(std::string_view listener_id, Micros now, std::size_t limit, std::int64_t owner) {
    // Claims of one listener take turns (a transaction-scoped advisory lock), and each sees
    // the rows the one before it took (read committed: a fresh snapshot per statement). So no
    // two processes hold rows of one listener at once. SKIP LOCKED: rows a process is
    // parking or completing right now are left to it, not waited for.
    const std::string turn = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
    const std::string claim = sql(
        "UPDATE {s}.outbox o SET owner = $1 FROM (SELECT seq FROM {s}.outbox "
        "WHERE owner IS NULL AND dead_at IS NULL AND listener_id = $2 AND due_at <= $3 "
        "AND NOT EXISTS (SELECT 1 FROM {s}.outbox h WHERE h.listener_id = $2 AND h.owner IS NOT NULL AND h.owner < $1) "
        "AND NOT EXISTS (SELECT 1 FROM {s}.outbox h WHERE h.listener_id = $2 AND h.owner IS NOT NULL AND h.owner > $1) "
        "ORDER BY due_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED) c WHERE o.seq = c.seq "
        "RETURNING o.seq, o.delivery_id, o.listener_id, o.event, o.created_at, o.due_at, o.attempts, o.last_error, "
        "o.dead_at, o.owner");
    std::vector<OutboxRow> rows;
    {
        std::lock_guard lock(mutex_);
        connection_.ready();
        settle_claims();
        connection_.exec("BEGIN");
        try {
            connection_.exec_prepared("notify_claim_turn", turn, {"notify claim " + schema_ + " " + std::string(listener_id)});
            rows = read_rows(
                connection_.exec(claim, {str(owner), std::string(listener_id), str(now), str(static_cast<std::int64_t>(limit))}));
            connection_.exec("COMMIT");
        } catch (...) {
            // A COMMIT whose answer was lost may have happened: these rows would then be
            // ours, and no one would attempt them until this process stops. They go back
            // to the store at the next call that reaches it (a no-op if it did not commit).
            for (const auto& r : rows) unsettled_claims_.push_back({r.seq, owner});
            connection_.end_transaction();
            throw;
        }
    }
    std::sort(rows.begin(), rows.end(), [](const OutboxRow& a, const OutboxRow& b) {
        return std::tie(a.due_at, a.seq) < std::tie(b.due_at, b.seq);
    });
    return rows;
}

std::optional<Micros> PgOutbox::next_due(std::string_view listener_id) {
    const std::string q = sql("SELECT min(due_at) FROM {s}.outbox WHERE owner IS NULL AND dead_at IS NULL AND listener_id = $1");
    return run(nullptr, [&](pg::Connection& c) -> std::optional<Micros> {
        const auto r = c.exec(q, {std::string(listener_id)});
        if (r.is_null(0, 0)) return std::nullopt;
        return r.integer(0, 0);
    });
}

void PgOutbox::complete(const std::vector<Completion>& completions, std::int64_t owner, const AttemptCounts& counts) {
    const std::string delivered = sql("DELETE FROM {s}.outbox WHERE seq = $1 AND owner = $2");
    const std::string retry = sql("UPDATE {s}.outbox SET owner = NULL, due_at = $3, attempts = $4, last_error = $5 "
                                  "WHERE seq = $1 AND owner = $2");
    const std::string dead = sql("UPDATE {s}.outbox SET owner = NULL, dead_at = $3, attempts = $4, last_error = $5 "
                                 "WHERE seq = $1 AND owner = $2");
    const std::string count = sql(
        "INSERT INTO {s}.delivery_counts AS d (listener_id, delivered, retried) VALUES ($1, $2, $3) "
        "ON CONFLICT (listener_id) DO UPDATE SET delivered = d.delivered + excluded.delivered, "
        "retried = d.retried + excluded.retried");
    run("BEGIN", [&](pg::Connection& c) {
        for (const auto& done : completions) {
            if (done.kind == Completion::Kind::delivered) {
                c.exec(delivered, {str(done.seq), str(owner)});
            } else {
                c.exec(done.kind == Completion::Kind::retry ? retry : dead,
                       {str(done.seq), str(owner), str(done.due_at), str(done.attempts), done.error});
            }
        }
        // In the map's (sorted) order: processes counting at once lock the rows alike.
        for (const auto& [listener, n] : counts) {
            c.exec(count, {listener, str(static_cast<std::int64_t>(n.first)), str(static_cast<std::int64_t>(n.second))});
        }
    });
}

std::int64_t PgOutbox::register_process(const core::ProcessIdentity& self, Micros) {
    const std::string q = sql("INSERT INTO {s}.processes (host, boot_id, pid, started, heartbeat_at) "
                              "VALUES ($1, $2, $3, $4, {s}.now_us()) RETURNING id");
    return run(nullptr, [&](pg::Connection& c) {
        return c.exec(q, {self.host, self.boot_id, str(self.pid), str(self.started)}).integer(0, 0);
    });
}

bool PgOutbox::heartbeat(std::int64_t id, Micros) {
    const std::string q = sql("UPDATE {s}.processes SET heartbeat_at = {s}.now_us() WHERE id = $1");
    return run(nullptr, [&](pg::Connection& c) { return c.exec(q, {str(id)}).changed() > 0; });
}

void PgOutbox::rejoin(const core::ProcessIdentity& self, std::int64_t id, Micros) {
    const std::string q = sql("INSERT INTO {s}.processes (id, host, boot_id, pid, started, heartbeat_at) OVERRIDING SYSTEM VALUE "
                              "VALUES ($1, $2, $3, $4, $5, {s}.now_us()) "
                              "ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at");
    run(nullptr, [&](pg::Connection& c) { c.exec(q, {str(id), self.host, self.boot_id, str(self.pid), str(self.started)}); });
}

std::size_t PgOutbox::adopt_dead(const core::ProcessIdentity& self, std::int64_t self_id, Micros, Micros lease) {
    const std::string list = sql("SELECT id, host, boot_id, pid, started, heartbeat_at, {s}.now_us() FROM {s}.processes "
                                 "WHERE id <> $1");
    // Forgotten only if still silent when deleted: a heartbeat that came meanwhile wins.
    const std::string forget_silent =
        sql("DELETE FROM {s}.processes WHERE id = $1 AND heartbeat_at + $2 < {s}.now_us()");
    const std::string forget = sql("DELETE FROM {s}.processes WHERE id = $1");
    const std::string park = sql("UPDATE {s}.outbox SET owner = NULL WHERE owner = $1");
    return run("BEGIN", [&](pg::Connection& c) {
        std::size_t parked = 0;
        const auto r = c.exec(list, {str(self_id)});
        for (int i = 0; i < r.rows(); ++i) {
            const core::ProcessIdentity p{r.text(i, 1), r.text(i, 2), r.integer(i, 3), r.integer(i, 4)};
            // Silence is measured on the server's clock, which every host reads alike.
            const bool silent = r.integer(i, 5) + lease < r.integer(i, 6);
            const bool gone = !core::may_be_alive(p, self);
            if (!silent && !gone) continue;
            const auto id = r.text(i, 0);
            const auto forgotten = gone ? c.exec(forget, {id}) : c.exec(forget_silent, {id, str(lease)});
            if (forgotten.changed() == 0) continue;
            parked += static_cast<std::size_t>(c.exec(park, {id}).changed());
        }
        if (parked > 0) announce_change(c, channel_);
        return parked;
    });
}

std::size_t PgOutbox::adopt_orphans() {
    const std::string q = sql("UPDATE {s}.outbox o SET owner = NULL WHERE owner IS NOT NULL "
                              "AND NOT EXISTS (SELECT 1 FROM {s}.processes p WHERE p.id = o.owner)");
    return run("BEGIN", [&](pg::Connection& c) {
        const auto parked = static_cast<std::size_t>(c.exec(q).changed());
        if (parked > 0) announce_change(c, channel_);
        return parked;
    });
}

void PgOutbox::release(std::int64_t owner) {
    const std::string park = sql("UPDATE {s}.outbox SET owner = NULL WHERE owner = $1");
    const std::string forget = sql("DELETE FROM {s}.processes WHERE id = $1");
    run("BEGIN", [&](pg::Connection& c) {
        if (c.exec(park, {str(owner)}).changed() > 0) announce_change(c, channel_);
        c.exec(forget, {str(owner)});
    });
}

void PgOutbox::park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due_at) {
    if (seqs.empty()) return;
    const std::string q = sql("UPDATE {s}.outbox SET owner = NULL, due_at = least(due_at, $3) "
                              "WHERE seq = ANY($1::bigint[]) AND owner = $2");
    run("BEGIN", [&](pg::Connection& c) {
        if (c.exec(q, {array_of(seqs), str(owner), str(due_at)}).changed() > 0) announce_change(c, channel_);
    });
}

std::map<std::string, core::OutboxCounts> PgOutbox::counts() {
    const std::string rows_q = sql(
        "SELECT listener_id, count(*) FILTER (WHERE dead_at IS NULL AND owner IS NULL), "
        "count(*) FILTER (WHERE dead_at IS NULL AND owner IS NOT NULL), count(*) FILTER (WHERE dead_at IS NOT NULL), "
        "min(created_at) FILTER (WHERE dead_at IS NULL) FROM {s}.outbox GROUP BY listener_id");
    const std::string totals_q = sql("SELECT listener_id, delivered, retried FROM {s}.delivery_counts");
    return run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&](pg::Connection& c) {  // one snapshot for both
        std::map<std::string, core::OutboxCounts> out;
        const auto r = c.exec(rows_q);
        for (int i = 0; i < r.rows(); ++i) {
            auto& n = out[r.text(i, 0)];
            n.parked = static_cast<std::uint64_t>(r.integer(i, 1));
            n.owned = static_cast<std::uint64_t>(r.integer(i, 2));
            n.dead = static_cast<std::uint64_t>(r.integer(i, 3));
            if (!r.is_null(i, 4)) n.oldest_created = r.integer(i, 4);
        }
        const auto t = c.exec(totals_q);
        for (int i = 0; i < t.rows(); ++i) {
            auto& n = out[t.text(i, 0)];
            n.delivered = static_cast<std::uint64_t>(t.integer(i, 1));
            n.retried = static_cast<std::uint64_t>(t.integer(i, 2));
        }
        return out;
    });
}

std::vector<OutboxRow> PgOutbox::rows(bool dead, std::size_t limit, std::string_view listener_id) {
    const std::string q = sql(dead ? "SELECT " NOTIFY_PG_ROW_COLUMNS " FROM {s}.outbox WHERE ($2 = '' OR listener_id = $2) "
                                     "AND dead_at IS NOT NULL ORDER BY dead_at, seq LIMIT $1"
                                   : "SELECT " NOTIFY_PG_ROW_COLUMNS " FROM {s}.outbox WHERE ($2 = '' OR listener_id = $2) "
                                     "AND dead_at IS NULL ORDER BY seq LIMIT $1");
    const auto capped = std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()));
    return run(nullptr, [&](pg::Connection& c) {
        return read_rows(c.exec(q, {str(static_cast<std::int64_t>(capped)), std::string(listener_id)}));
    });
}

std::vector<core::Outbox::ProcessEntry> PgOutbox::processes() {
    const std::string q = sql("SELECT id, host, pid, {s}.now_us() - heartbeat_at FROM {s}.processes ORDER BY id");
    return run(nullptr, [&](pg::Connection& c) {
        std::vector<ProcessEntry> out;
        const auto r = c.exec(q);
        for (int i = 0; i < r.rows(); ++i) out.push_back({r.integer(i, 0), r.text(i, 1), r.integer(i, 2), r.integer(i, 3)});
        return out;
    });
}

std::vector<OutboxRow> PgOutbox::rows_after(std::int64_t after, std::size_t limit) {
    const std::string q = sql("SELECT " NOTIFY_PG_ROW_COLUMNS " FROM {s}.outbox WHERE seq > $1 ORDER BY seq LIMIT $2");
    const auto capped = std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()));
    return run(nullptr, [&](pg::Connection& c) {
        return read_rows(c.exec(q, {str(after), str(static_cast<std::int64_t>(capped))}));
    });
}

void PgOutbox::import_rows(const std::vector<OutboxRow>& rows, const std::string& key) {
    if (rows.empty()) return;
    const std::string insert = sql("INSERT INTO {s}.outbox (delivery_id, listener_id, event, created_at, due_at, attempts, "
                                   "last_error, dead_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    const std::string mark = sql("INSERT INTO {s}.store_meta (key, value) VALUES ($1, $2) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    run("BEGIN", [&](pg::Connection& c) {
        for (const auto& r : rows) {
            c.exec(insert, {r.delivery_id, r.listener_id, r.event_json, str(r.created_at), str(r.due_at), str(r.attempts),
                            r.last_error.empty() ? std::nullopt : std::optional(r.last_error),
                            r.dead_at ? std::optional(str(*r.dead_at)) : std::nullopt});
        }
        c.exec(mark, {key, str(rows.back().seq)});
        announce_change(c, channel_);  // parked rows: the delivering processes look now
    });
}

std::int64_t PgOutbox::import_mark(const std::string& key) {
    const std::string q = sql("SELECT value FROM {s}.store_meta WHERE key = $1");
    return run(nullptr, [&](pg::Connection& c) {
        const auto r = c.exec(q, {key});
        return r.rows() > 0 ? r.integer(0, 0) : std::int64_t{0};
    });
}

void PgOutbox::set_mark(const std::string& key, std::int64_t value) {
    const std::string q = sql("INSERT INTO {s}.store_meta (key, value) VALUES ($1, $2) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    run(nullptr, [&](pg::Connection& c) { c.exec(q, {key, str(value)}); });
}

void PgOutbox::import_counts(const AttemptCounts& counts) {
    if (counts.empty()) return;
    const std::string q = sql("INSERT INTO {s}.delivery_counts AS d (listener_id, delivered, retried) VALUES ($1, $2, $3) "
                              "ON CONFLICT (listener_id) DO UPDATE SET delivered = greatest(d.delivered, excluded.delivered), "
                              "retried = greatest(d.retried, excluded.retried)");
    run("BEGIN", [&](pg::Connection& c) {
        for (const auto& [listener, n] : counts) {
            c.exec(q, {listener, str(static_cast<std::int64_t>(n.first)), str(static_cast<std::int64_t>(n.second))});
        }
    });
}

std::vector<OutboxRow> PgOutbox::rows_by_seq(const std::vector<std::int64_t>& seqs) {
    if (seqs.empty()) return {};
    const std::string q = sql("SELECT " NOTIFY_PG_ROW_COLUMNS " FROM {s}.outbox WHERE seq = ANY($1::bigint[])");
    return run(nullptr, [&](pg::Connection& c) { return read_rows(c.exec(q, {array_of(seqs)})); });
}

std::size_t PgOutbox::retry_dead(std::optional<std::string_view> delivery_id, Micros now) {
    const std::string q = sql("UPDATE {s}.outbox SET dead_at = NULL, owner = NULL, due_at = $1, attempts = 0, "
                              "last_error = NULL WHERE dead_at IS NOT NULL AND ($2::text IS NULL OR delivery_id = $2)");
    return run("BEGIN", [&](pg::Connection& c) {
        const std::optional<std::string> id = delivery_id ? std::optional(std::string(*delivery_id)) : std::nullopt;
        const auto retried = static_cast<std::size_t>(c.exec(q, {str(now), id}).changed());
        if (retried > 0) announce_change(c, channel_);
        return retried;
    });
}

std::size_t PgOutbox::purge_dead() {
    const std::string q = sql("DELETE FROM {s}.outbox WHERE dead_at IS NOT NULL");
    return run(nullptr, [&](pg::Connection& c) { return static_cast<std::size_t>(c.exec(q).changed()); });
}

bool PgOutbox::pending_up_to(std::int64_t seq) {
    const std::string q = sql("SELECT 1 FROM {s}.outbox WHERE seq <= $1 AND dead_at IS NULL LIMIT 1");
    return run(nullptr, [&](pg::Connection& c) { return c.exec(q, {str(seq)}).rows() > 0; });
}

std::int64_t PgOutbox::last_seq() {
    const std::string q = sql("SELECT coalesce(max(seq), 0) FROM {s}.outbox");
    return run(nullptr, [&](pg::Connection& c) { return c.exec(q).integer(0, 0); });
}

void PgOutbox::drop_listener(std::string_view listener_id) {
    const std::string outbox = sql("DELETE FROM {s}.outbox WHERE listener_id = $1");
    const std::string counts = sql("DELETE FROM {s}.delivery_counts WHERE listener_id = $1");
    run("BEGIN", [&](pg::Connection& c) {
        c.exec(outbox, {std::string(listener_id)});
        c.exec(counts, {std::string(listener_id)});
    });
}

}  // namespace notify::store::postgresql
