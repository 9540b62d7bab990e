// The listeners table of the SQLite store file.
#include <mutex>

#include "listener_rows.hpp"
#include "sqlite.hpp"
#include "sqlite_outbox.hpp"
#include "store_schema.hpp"

namespace notify::core {

namespace {

constexpr const char* select_columns =
    "SELECT id, kind, event_types, format, settings, secret_keys, delay_until_effective, created, updated, event_filter, "
    "delivery_rules FROM listeners";

ListenerColumns read_columns(const sqlite::Statement& row) {
    return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4),
            row.text(5), row.integer(6), row.text(7), row.text(8), row.text(9), row.text(10)};
}

// Binds ?1-?11 in the order of select_columns.
void bind_columns(sqlite::Statement& stmt, const ListenerColumns& c) {
    stmt.bind(1, c.id).bind(2, c.kind).bind(3, c.event_types).bind(4, c.format).bind(5, c.settings);
    stmt.bind(6, c.secret_keys).bind(7, c.delay_until_effective).bind(8, c.created).bind(9, c.updated).bind(10, c.filter);
    stmt.bind(11, c.delivery_rules);
}

class SqliteListenerRows final : public ListenerRows {
public:
    SqliteListenerRows(const std::filesystem::path& path, const LogFunction& log) : db_(store_schema::open(path, log)) {}

    void write(const std::function<void(Tx&)>& work) override {
        std::lock_guard lock(mutex_);
        sqlite::Transaction tx(*db_);  // BEGIN IMMEDIATE: a read in it already holds the write lock
        Writer writer(*this);
        work(writer);
        tx.commit();
    }

    std::optional<Listener> find(const std::string& id) override {
        std::lock_guard lock(mutex_);
        return find_locked(id);
    }

    std::vector<Listener> list() override {
        std::lock_guard lock(mutex_);
        auto stmt = db_->prepare(std::string(select_columns) + " ORDER BY created, id");
        std::vector<Listener> out;
        while (stmt.step()) out.push_back(from_columns(read_columns(stmt), db_->path()));
        return out;
    }

    std::uint64_t revision() override {
        std::lock_guard lock(mutex_);
        auto stmt = db_->prepare("SELECT value FROM store_meta WHERE key = 'listeners_revision'");
        return stmt.step() ? static_cast<std::uint64_t>(stmt.integer(0)) : 0;
    }

    std::string where() const override { return db_->path(); }

private:
    class Writer final : public Tx {
    public:
        explicit Writer(SqliteListenerRows& rows) : rows_(rows) {}
        bool insert(const Listener& listener) override {
            auto& db = *rows_.db_;
            auto stmt = db.prepare(
                "INSERT INTO listeners (id, kind, event_types, format, settings, secret_keys, "
                "delay_until_effective, created, updated, event_filter, delivery_rules) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                "ON CONFLICT (id) DO NOTHING");
            bind_columns(stmt, to_columns(listener));
            stmt.run();
            if (db.changes() != 1) return false;
            bump_revision();
            return true;
        }
        std::optional<Listener> find(const std::string& id) override { return rows_.find_locked(id); }
        void replace(const Listener& listener) override {
            auto stmt = rows_.db_->prepare(
                "UPDATE listeners SET kind = ?2, event_types = ?3, format = ?4, settings = ?5, "
                "secret_keys = ?6, delay_until_effective = ?7, created = ?8, updated = ?9, event_filter = ?10, "
                "delivery_rules = ?11 WHERE id = ?1");
            bind_columns(stmt, to_columns(listener));
            stmt.run();
            bump_revision();
        }
        bool erase(const std::string& id) override {
            auto& db = *rows_.db_;
            db.run("DELETE FROM listeners WHERE id = ?1", id);
            if (db.changes() == 0) return false;
            forget_listener_deliveries(db, id);
            bump_revision();
            return true;
        }

    private:
        void bump_revision() { rows_.db_->run("UPDATE store_meta SET value = value + 1 WHERE key = 'listeners_revision'"); }
        SqliteListenerRows& rows_;
    };

    std::optional<Listener> find_locked(const std::string& id) {
        auto stmt = db_->prepare(std::string(select_columns) + " WHERE id = ?1");
        stmt.bind(1, id);
        if (!stmt.step()) return std::nullopt;
        return from_columns(read_columns(stmt), db_->path());
    }

    std::unique_ptr<sqlite::Database> db_;
    std::mutex mutex_;
};

}  // namespace

std::unique_ptr<ListenerRows> sqlite_listener_rows(const std::filesystem::path& path, const LogFunction& log) {
    return std::make_unique<SqliteListenerRows>(path, log);
}

}  // namespace notify::core
