#include "pg_listener_rows.hpp"

#include <mutex>

#include "notify/core/error.hpp"
#include "pg_schema.hpp"

namespace notify::store::postgresql {

namespace {

using core::Listener;
using core::ListenerColumns;

constexpr const char* select_columns =
    "SELECT id, kind, event_types, format, settings, secret_keys, delay_until_effective, created, updated, event_filter, "
    "delivery_rules FROM {s}.listeners";

ListenerColumns read_columns(const pg::Result& r, int i) {
    return {r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
            r.text(i, 5), r.integer(i, 6), r.text(i, 7), r.text(i, 8), r.text(i, 9), r.text(i, 10)};
}

std::vector<std::optional<std::string>> params_of(const ListenerColumns& c) {
    return {c.id, c.kind, c.event_types, c.format, c.settings, c.secret_keys, std::to_string(c.delay_until_effective),
            c.created, c.updated, c.filter, c.delivery_rules};
}

class PgListenerRows final : public core::ListenerRows {
public:
    PgListenerRows(const pg::ConnectOptions& options, const std::string& schema)
        : schema_(quoted_schema(schema)), channel_(change_channel(schema)), connection_(options) {
        open_schema(connection_, schema);
    }

    void write(const std::function<void(Tx&)>& work) override {
        std::lock_guard lock(mutex_);
        use();
        connection_.exec("BEGIN");
        try {
            Writer writer(*this);
            work(writer);
            announce_change(connection_, channel_);  // processes pick the change up at once
            connection_.exec("COMMIT");
        } catch (...) {
            connection_.end_transaction();  // its row locks must not wait for the next call
            throw;
        }
    }

    std::optional<Listener> find(const std::string& id) override {
        std::lock_guard lock(mutex_);
        use();
        return find_locked(id, false);
    }

    std::vector<Listener> list() override {
        std::lock_guard lock(mutex_);
        use();
        const auto r = connection_.exec(sql(select_columns) + " ORDER BY created, id");
        std::vector<Listener> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(core::from_columns(read_columns(r, i), where()));
        return out;
    }

    std::uint64_t revision() override {
        std::lock_guard lock(mutex_);
        use();
        const auto r = connection_.exec(sql("SELECT value FROM {s}.store_meta WHERE key = 'listeners_revision'"));
        return r.rows() == 1 ? static_cast<std::uint64_t>(r.integer(0, 0)) : 0;
    }

    std::string where() const override { return connection_.masked_url(); }

private:
    class Writer final : public Tx {
    public:
        explicit Writer(PgListenerRows& rows) : rows_(rows) {}
        bool insert(const Listener& listener) override {
            const auto r = rows_.connection_.exec(
                rows_.sql("INSERT INTO {s}.listeners (id, kind, event_types, format, settings, secret_keys, "
                          "delay_until_effective, created, updated, event_filter, delivery_rules) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                          "ON CONFLICT (id) DO NOTHING"),
                params_of(core::to_columns(listener)));
            if (r.changed() != 1) return false;
            bump_revision();
            return true;
        }
        std::optional<Listener> find(const std::string& id) override { return rows_.find_locked(id, true); }
        void replace(const Listener& listener) override {
            rows_.connection_.exec(
                rows_.sql("UPDATE {s}.listeners SET kind = $2, event_types = $3, format = $4, settings = $5, "
                          "secret_keys = $6, delay_until_effective = $7, created = $8, updated = $9, event_filter = $10, "
                          "delivery_rules = $11 WHERE id = $1"),
                params_of(core::to_columns(listener)));
            bump_revision();
        }
        bool erase(const std::string& id) override {
            auto& c = rows_.connection_;
            if (c.exec(rows_.sql("DELETE FROM {s}.listeners WHERE id = $1"), {id}).changed() == 0) return false;
            c.exec(rows_.sql("DELETE FROM {s}.outbox WHERE listener_id = $1"), {id});
            c.exec(rows_.sql("DELETE FROM {s}.delivery_counts WHERE listener_id = $1"), {id});
            bump_revision();
            return true;
        }

    private:
        // Also what serialises writers: the revision row is locked until the transaction ends.
        void bump_revision() {
            rows_.connection_.exec(rows_.sql("UPDATE {s}.store_meta SET value = value + 1 WHERE key = 'listeners_revision'"));
        }
        PgListenerRows& rows_;
    };

    void use() { connection_.ready(); }

    std::string sql(const char* text) const { return with_schema(text, schema_); }

    // In a write transaction, FOR UPDATE holds the row: concurrent modify() calls of any
    // process read it one after the other, so none is lost.
    std::optional<Listener> find_locked(const std::string& id, bool for_update) {
        const auto r = connection_.exec(sql(select_columns) + " WHERE id = $1" + (for_update ? " FOR UPDATE" : ""), {id});
        if (r.rows() == 0) return std::nullopt;
        return core::from_columns(read_columns(r, 0), where());
    }

    std::string schema_;   // quoted
    std::string channel_;  // change_channel()
    std::mutex mutex_;
    pg::Connection connection_;  // under mutex_
};

}  // namespace

std::unique_ptr<core::ListenerRows> pg_listener_rows(const pg::ConnectOptions& options, const std::string& schema) {
    return std::make_unique<PgListenerRows>(options, schema);
}

}  // namespace notify::store::postgresql
