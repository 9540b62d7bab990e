// The outbox's SQL. Every statement runs inside GroupCommit::run, one connection per outbox.
#include "sqlite_outbox.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "store_schema.hpp"

namespace notify::core {

namespace {

constexpr const char* row_columns =
    "seq, delivery_id, listener_id, event, created_at, due_at, attempts, last_error, dead_at, owner";

OutboxRow read_row(const sqlite::Statement& s) {
    OutboxRow r;
    r.seq = s.integer(0);
    r.delivery_id = s.text(1);
    r.listener_id = s.text(2);
    r.event_json = s.text(3);
    r.created_at = s.integer(4);
    r.due_at = s.integer(5);
    r.attempts = static_cast<int>(s.integer(6));
    r.last_error = s.text(7);
    if (!s.is_null(8)) r.dead_at = s.integer(8);
    r.owned = !s.is_null(9);
    return r;
}

}  // namespace

// Statements used on every fire and every delivery, prepared once.
struct SqliteOutbox::Statements {
    explicit Statements(sqlite::Database& db)
        : insert(db.prepare("INSERT INTO outbox (delivery_id, listener_id, event, created_at, due_at, owner) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
          // Nothing while another process holds rows of the listener (see Outbox::claim);
          // writers take turns, so no other claim runs between the check and the update.
          claim(db.prepare(std::string("UPDATE outbox SET owner = ?1 WHERE seq IN (SELECT seq FROM outbox "
                                       "WHERE owner IS NULL AND dead_at IS NULL AND listener_id = ?2 AND due_at <= ?3 "
                                       "AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.listener_id = ?2 "
                                       "AND h.owner IS NOT NULL AND h.owner < ?1) "
                                       "AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.listener_id = ?2 "
                                       "AND h.owner IS NOT NULL AND h.owner > ?1) "
                                       "ORDER BY due_at, seq LIMIT ?4) RETURNING ") + row_columns)),
          next_due(db.prepare("SELECT min(due_at) FROM outbox WHERE owner IS NULL AND dead_at IS NULL "
                              "AND listener_id = ?1")),
          delivered(db.prepare("DELETE FROM outbox WHERE seq = ?1 AND owner = ?2")),
          retry(db.prepare("UPDATE outbox SET owner = NULL, due_at = ?3, attempts = ?4, last_error = ?5 "
                           "WHERE seq = ?1 AND owner = ?2")),
          dead(db.prepare("UPDATE outbox SET owner = NULL, dead_at = ?3, attempts = ?4, last_error = ?5 "
                          "WHERE seq = ?1 AND owner = ?2")),
          count(db.prepare("INSERT INTO delivery_counts (listener_id, delivered, retried) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (listener_id) DO UPDATE SET delivered = delivered + excluded.delivered, "
                           "retried = retried + excluded.retried")) {}

    sqlite::Statement insert;
    sqlite::Statement claim;
    sqlite::Statement next_due;
    sqlite::Statement delivered;
    sqlite::Statement retry;
    sqlite::Statement dead;
    sqlite::Statement count;
};

SqliteOutbox::SqliteOutbox(std::unique_ptr<sqlite::Database> db, bool durable)
    : db_(std::move(db)), durable_(durable), writer_(*db_), sql_(std::make_unique<Statements>(*db_)) {}

SqliteOutbox::~SqliteOutbox() {
    sql_.reset();  // statements before their connection
    try {
        checkpoint();
    } catch (...) {  // the next process checkpoints instead
    }
}

std::unique_ptr<Outbox> Outbox::open_file(const std::filesystem::path& path, bool sync_full, const LogFunction& log) {
    auto db = store_schema::open(path, log);
    db->exec(sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Checkpoints run from the dispatcher (checkpoint()), never inside a fire()'s commit.
    db->exec("PRAGMA wal_autocheckpoint = 0");
    db->exec("PRAGMA journal_size_limit = 67108864");
    return std::make_unique<SqliteOutbox>(std::move(db), true);
}

std::unique_ptr<Outbox> Outbox::open_memory() {
    auto db = std::make_unique<sqlite::Database>(":memory:", true);
    db->exec(store_schema::outbox_tables_sql());
    return std::make_unique<SqliteOutbox>(std::move(db), false);
}

void SqliteOutbox::announce(bool coming) noexcept {
    if (coming) {
        writer_.announce();
    } else {
        writer_.withdraw();
    }
}

std::vector<std::int64_t> SqliteOutbox::append(const std::string& event_json, Micros created_at,
                                         const std::vector<OutboxInsert>& inserts, std::int64_t owner) {
    return append_batch({{&event_json, &inserts}}, created_at, owner);
}

std::vector<std::int64_t> SqliteOutbox::append_batch(const std::vector<AppendItem>& items, Micros created_at,
                                               std::int64_t owner) {
    std::vector<std::int64_t> seqs;
    std::size_t rows = 0;
    for (const auto& item : items) rows += item.inserts->size();
    seqs.reserve(rows);
    writer_.run([&](sqlite::Database& db) {
        seqs.clear();
        auto& s = sql_->insert;
        for (const auto& item : items) {
            for (const auto& in : *item.inserts) {
                s.reset();
                s.bind(1, in.delivery_id).bind(2, in.listener_id).bind(3, *item.event_json).bind(4, created_at);
                s.bind(5, in.due_at);
                if (in.owned) s.bind(6, owner);
                s.run();
                seqs.push_back(db.last_insert_rowid());
            }
        }
    });
    return seqs;
}

std::vector<OutboxRow> SqliteOutbox::claim(std::string_view listener_id, Micros now, std::size_t limit, std::int64_t owner) {
    std::vector<OutboxRow> rows;
    writer_.run([&](sqlite::Database&) {
        rows.clear();
        auto& s = sql_->claim;
        s.reset();
        s.bind(1, owner).bind(2, listener_id).bind(3, now).bind(4, static_cast<std::int64_t>(limit));
        while (s.step()) rows.push_back(read_row(s));
    });
    std::sort(rows.begin(), rows.end(), [](const OutboxRow& a, const OutboxRow& b) {
        return std::tie(a.due_at, a.seq) < std::tie(b.due_at, b.seq);
    });
    return rows;
}

std::optional<Micros> SqliteOutbox::next_due(std::string_view listener_id) {
    std::optional<Micros> due;
    writer_.run([&](sqlite::Database&) {
        auto& s = sql_->next_due;
        s.reset();
        s.bind(1, listener_id);
        due.reset();
        if (s.step() && !s.is_null(0)) due = s.integer(0);
        s.reset();
    });
    return due;
}

void SqliteOutbox::complete(const std::vector<Completion>& completions, std::int64_t owner, const AttemptCounts& counts) {
    writer_.run([&](sqlite::Database&) {
        for (const auto& c : completions) {
            sqlite::Statement* s = nullptr;
            switch (c.kind) {
                case Completion::Kind::delivered:
                    s = &sql_->delivered;
                    s->reset();
                    s->bind(1, c.seq).bind(2, owner);
                    break;
                case Completion::Kind::retry:
                case Completion::Kind::dead:
                    s = c.kind == Completion::Kind::retry ? &sql_->retry : &sql_->dead;
                    s->reset();
                    s->bind(1, c.seq).bind(2, owner).bind(3, c.due_at)
                        .bind(4, static_cast<std::int64_t>(c.attempts)).bind(5, c.error);
                    break;
            }
            s->run();
        }
        auto& s = sql_->count;
        for (const auto& [listener, n] : counts) {
            s.reset();
            s.bind(1, listener).bind(2, static_cast<std::int64_t>(n.first)).bind(3, static_cast<std::int64_t>(n.second));
            s.run();
        }
    });
}

std::int64_t SqliteOutbox::register_process(const ProcessIdentity& self, Micros now) {
    std::int64_t id = 0;
    writer_.run([&](sqlite::Database& db) {
        // Past every id ever handed out, not only the live ones: a process taken for dead
        // may still run and must never share its id with a newcomer (see rejoin()).
        auto next = db.prepare(
            "SELECT max(coalesce((SELECT value FROM store_meta WHERE key = 'last_process_id'), 0), "
            "coalesce((SELECT max(id) FROM processes), 0)) + 1");
        id = next.step() ? next.integer(0) : 1;
        auto s = db.prepare("INSERT INTO processes (id, host, boot_id, pid, started, heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        s.bind(1, id).bind(2, self.host).bind(3, self.boot_id).bind(4, self.pid).bind(5, self.started).bind(6, now);
        s.run();
        db.run("INSERT INTO store_meta (key, value) VALUES ('last_process_id', ?1) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", id);
    });
    return id;
}

bool SqliteOutbox::heartbeat(std::int64_t id, Micros now) {
    bool known = false;
    writer_.run([&](sqlite::Database& db) {
        db.run("UPDATE processes SET heartbeat_at = ?2 WHERE id = ?1", id, now);
        known = db.changes() > 0;
    });
    return known;
}

void SqliteOutbox::rejoin(const ProcessIdentity& self, std::int64_t id, Micros now) {
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("INSERT INTO processes (id, host, boot_id, pid, started, heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                            "ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at");
        s.bind(1, id).bind(2, self.host).bind(3, self.boot_id).bind(4, self.pid).bind(5, self.started).bind(6, now);
        s.run();
    });
}

std::size_t SqliteOutbox::adopt_dead(const ProcessIdentity& self, std::int64_t self_id, Micros now, Micros lease) {
    std::size_t parked = 0;
    writer_.run([&](sqlite::Database& db) {
        parked = 0;
        std::vector<std::int64_t> dead;
        auto list = db.prepare("SELECT id, host, boot_id, pid, started, heartbeat_at FROM processes WHERE id != ?1");
        list.bind(1, self_id);
        while (list.step()) {
            ProcessIdentity p{list.text(1), list.text(2), list.integer(3), list.integer(4)};
            if (list.integer(5) + lease < now || !may_be_alive(p, self)) dead.push_back(list.integer(0));
        }
        for (const auto id : dead) {
            db.run("UPDATE outbox SET owner = NULL WHERE owner = ?1", id);
            parked += static_cast<std::size_t>(db.changes());
            db.run("DELETE FROM processes WHERE id = ?1", id);
        }
    });
    return parked;
}

void SqliteOutbox::release(std::int64_t owner) {
    writer_.run([&](sqlite::Database& db) {
        db.run("UPDATE outbox SET owner = NULL WHERE owner = ?1", owner);
        db.run("DELETE FROM processes WHERE id = ?1", owner);
    });
}

std::size_t SqliteOutbox::adopt_orphans() {
    std::size_t parked = 0;
    writer_.run([&](sqlite::Database& db) {
        db.run("UPDATE outbox SET owner = NULL WHERE owner IS NOT NULL AND owner NOT IN (SELECT id FROM processes)");
        parked = static_cast<std::size_t>(db.changes());
    });
    return parked;
}

void SqliteOutbox::park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due_at) {
    if (seqs.empty()) return;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("UPDATE outbox SET owner = NULL, due_at = min(due_at, ?3) WHERE seq = ?1 AND owner = ?2");
        for (const auto seq : seqs) {
            s.reset();
            s.bind(1, seq).bind(2, owner).bind(3, due_at);
            s.run();
        }
    });
}

std::map<std::string, OutboxCounts> SqliteOutbox::counts() {
    std::map<std::string, OutboxCounts> out;
    writer_.run([&](sqlite::Database& db) {
        out.clear();
        auto s = db.prepare(
            "SELECT listener_id, count(*) FILTER (WHERE dead_at IS NULL AND owner IS NULL), "
            "count(*) FILTER (WHERE dead_at IS NULL AND owner IS NOT NULL), "
            "count(*) FILTER (WHERE dead_at IS NOT NULL), min(created_at) FILTER (WHERE dead_at IS NULL) "
            "FROM outbox GROUP BY listener_id");
        while (s.step()) {
            auto& c = out[s.text(0)];
            c.parked = static_cast<std::uint64_t>(s.integer(1));
            c.owned = static_cast<std::uint64_t>(s.integer(2));
            c.dead = static_cast<std::uint64_t>(s.integer(3));
            if (!s.is_null(4)) c.oldest_created = s.integer(4);
        }
        auto totals = db.prepare("SELECT listener_id, delivered, retried FROM delivery_counts");
        while (totals.step()) {
            auto& c = out[totals.text(0)];
            c.delivered = static_cast<std::uint64_t>(totals.integer(1));
            c.retried = static_cast<std::uint64_t>(totals.integer(2));
        }
    });
    return out;
}

std::vector<OutboxRow> SqliteOutbox::rows(bool dead, std::size_t limit, std::string_view listener_id) {
    std::vector<OutboxRow> out;
    writer_.run([&](sqlite::Database& db) {
        out.clear();
        auto s = db.prepare(std::string("SELECT ") + row_columns + " FROM outbox WHERE (COALESCE(?2, '') = '' OR listener_id = ?2) AND " +
                            (dead ? "dead_at IS NOT NULL ORDER BY dead_at, seq" : "dead_at IS NULL ORDER BY seq") +
                            " LIMIT ?1");
        s.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
        s.bind(2, listener_id);
        while (s.step()) out.push_back(read_row(s));
    });
    return out;
}

std::vector<Outbox::ProcessEntry> SqliteOutbox::processes() {
    std::vector<ProcessEntry> out;
    const Micros now =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    writer_.run([&](sqlite::Database& db) {
        out.clear();
        auto s = db.prepare("SELECT id, host, pid, heartbeat_at FROM processes ORDER BY id");
        while (s.step()) out.push_back({s.integer(0), s.text(1), s.integer(2), now - s.integer(3)});
    });
    return out;
}

std::vector<OutboxRow> SqliteOutbox::rows_after(std::int64_t after, std::size_t limit) {
    std::vector<OutboxRow> out;
    writer_.run([&](sqlite::Database& db) {
        out.clear();
        auto s = db.prepare(std::string("SELECT ") + row_columns + " FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        s.bind(1, after).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
        while (s.step()) out.push_back(read_row(s));
    });
    return out;
}

void SqliteOutbox::import_rows(const std::vector<OutboxRow>& rows, const std::string& key) {
    if (rows.empty()) return;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("INSERT INTO outbox (delivery_id, listener_id, event, created_at, due_at, attempts, last_error, "
                            "dead_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULLIF(?7, ''), NULLIF(?8, -1))");
        for (const auto& r : rows) {
            s.bind(1, r.delivery_id).bind(2, r.listener_id).bind(3, r.event_json).bind(4, r.created_at).bind(5, r.due_at);
            s.bind(6, static_cast<std::int64_t>(r.attempts)).bind(7, r.last_error).bind(8, r.dead_at.value_or(-1));
            s.run();
            s.reset();
        }
        db.run("INSERT INTO store_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               key, rows.back().seq);
    });
}

std::int64_t SqliteOutbox::import_mark(const std::string& key) {
    std::int64_t mark = 0;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("SELECT value FROM store_meta WHERE key = ?1");
        s.bind(1, key);
        mark = s.step() ? s.integer(0) : 0;
    });
    return mark;
}

void SqliteOutbox::set_mark(const std::string& key, std::int64_t value) {
    writer_.run([&](sqlite::Database& db) {
        db.run("INSERT INTO store_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               key, value);
    });
}

void SqliteOutbox::import_counts(const AttemptCounts& counts) {
    if (counts.empty()) return;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("INSERT INTO delivery_counts (listener_id, delivered, retried) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (listener_id) DO UPDATE SET delivered = max(delivered, excluded.delivered), "
                            "retried = max(retried, excluded.retried)");
        for (const auto& [listener, n] : counts) {
            s.bind(1, listener).bind(2, static_cast<std::int64_t>(n.first)).bind(3, static_cast<std::int64_t>(n.second));
            s.run();
            s.reset();
        }
    });
}

std::vector<OutboxRow> SqliteOutbox::rows_by_seq(const std::vector<std::int64_t>& seqs) {
    std::vector<OutboxRow> out;
    if (seqs.empty()) return out;
    const std::string list = nlohmann::json(seqs).dump();
    writer_.run([&](sqlite::Database& db) {
        out.clear();
        auto s = db.prepare(std::string("SELECT ") + row_columns +
                            " FROM outbox WHERE seq IN (SELECT value FROM json_each(?1))");
        s.bind(1, list);
        while (s.step()) out.push_back(read_row(s));
    });
    return out;
}

std::size_t SqliteOutbox::retry_dead(std::optional<std::string_view> delivery_id, Micros now) {
    std::size_t changed = 0;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare(std::string("UPDATE outbox SET dead_at = NULL, owner = NULL, due_at = ?1, attempts = 0, "
                                        "last_error = NULL WHERE dead_at IS NOT NULL") +
                            (delivery_id ? " AND delivery_id = ?2" : ""));
        s.bind(1, now);
        if (delivery_id) s.bind(2, *delivery_id);
        s.run();
        changed = static_cast<std::size_t>(db.changes());
    });
    return changed;
}

std::size_t SqliteOutbox::purge_dead() {
    std::size_t removed = 0;
    writer_.run([&](sqlite::Database& db) {
        db.exec("DELETE FROM outbox WHERE dead_at IS NOT NULL");
        removed = static_cast<std::size_t>(db.changes());
    });
    return removed;
}

bool SqliteOutbox::pending_up_to(std::int64_t seq) {
    bool pending = false;
    writer_.run([&](sqlite::Database& db) {
        // Walks seq upwards and stops at the first row that is not dead: delivered rows are
        // gone, so that is the oldest pending one, found in a few page reads however large the
        // backlog. (count(*) read the whole table, on the writer, every 50 ms of a flush().)
        auto s = db.prepare("SELECT 1 FROM outbox WHERE seq <= ?1 AND dead_at IS NULL LIMIT 1");
        s.bind(1, seq);
        pending = s.step();
    });
    return pending;
}

std::int64_t SqliteOutbox::last_seq() {
    std::int64_t seq = 0;
    writer_.run([&](sqlite::Database& db) {
        auto s = db.prepare("SELECT coalesce(max(seq), 0) FROM outbox");
        seq = s.step() ? s.integer(0) : 0;
    });
    return seq;
}

void forget_listener_deliveries(sqlite::Database& db, std::string_view listener_id) {
    db.run("DELETE FROM outbox WHERE listener_id = ?1", listener_id);
    db.run("DELETE FROM delivery_counts WHERE listener_id = ?1", listener_id);
}

void SqliteOutbox::drop_listener(std::string_view listener_id) {
    writer_.run([&](sqlite::Database& db) { forget_listener_deliveries(db, listener_id); });
}

void SqliteOutbox::checkpoint() {
    if (!durable_) return;
    // A connection of its own: a checkpoint cannot run inside the writer's transactions,
    // and PASSIVE never makes writers wait.
    std::lock_guard lock(checkpoint_mutex_);
    if (!checkpointer_) checkpointer_ = std::make_unique<sqlite::Database>(db_->path(), false);
    auto passive = checkpointer_->prepare("PRAGMA wal_checkpoint(PASSIVE)");
    const std::int64_t frames = passive.step() ? passive.integer(1) : 0;
    passive.reset();
    // Under steady writes a passive checkpoint never catches up completely, so the log would
    // grow without end. Past ~64 MB, RESTART: it briefly holds writers back, copies the rest
    // and lets the next writer start the log over (journal_size_limit then trims the file).
    constexpr std::int64_t restart_frames = 16384;
    if (frames > restart_frames) checkpointer_->exec("PRAGMA wal_checkpoint(RESTART)");
}

bool SqliteOutbox::changed() {
    if (!durable_) return false;
    std::lock_guard lock(checkpoint_mutex_);
    if (!checkpointer_) checkpointer_ = std::make_unique<sqlite::Database>(db_->path(), false);
    // data_version changes when another connection commits: the writer of this process
    // counts as another connection, so fire() here is seen too.
    auto version = checkpointer_->prepare("PRAGMA data_version");
    const std::int64_t now = version.step() ? version.integer(0) : 0;
    const bool changed = data_version_ != -1 && now != data_version_;
    data_version_ = now;
    return changed;
}

}  // namespace notify::core
