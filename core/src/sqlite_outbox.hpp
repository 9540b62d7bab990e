// SqliteOutbox: the outbox in the store file (durable) or in a private in-memory database
// (internal; see outbox.hpp for the contract).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "group_commit.hpp"
#include "outbox.hpp"
#include "sqlite.hpp"

namespace notify::core {

// Deletes a listener's deliveries and counters; part of the caller's transaction.
void forget_listener_deliveries(sqlite::Database& db, std::string_view listener_id);

// Every call goes through one GroupCommit, so concurrent calls share commits.
class SqliteOutbox final : public Outbox {
public:
    SqliteOutbox(std::unique_ptr<sqlite::Database> db, bool durable);
    ~SqliteOutbox() override;

    bool durable() const noexcept override { return durable_; }
    std::vector<std::int64_t> append(const std::string& event_json, Micros created_at,
                                     const std::vector<OutboxInsert>& inserts, std::int64_t owner) override;
    std::vector<std::int64_t> append_batch(const std::vector<AppendItem>& items, Micros created_at,
                                           std::int64_t owner) override;
    std::vector<OutboxRow> claim(std::string_view listener_id, Micros now, std::size_t limit, std::int64_t owner) override;
    std::optional<Micros> next_due(std::string_view listener_id) override;
    void complete(const std::vector<Completion>& completions, std::int64_t owner, const AttemptCounts& counts) override;
    std::int64_t register_process(const ProcessIdentity& self, Micros now) override;
    bool heartbeat(std::int64_t id, Micros now) override;
    void rejoin(const ProcessIdentity& self, std::int64_t id, Micros now) override;
    std::size_t adopt_dead(const ProcessIdentity& self, std::int64_t self_id, Micros now, Micros lease) override;
    std::size_t adopt_orphans() override;
    void release(std::int64_t owner) override;
    void park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due_at) override;
    std::map<std::string, OutboxCounts> counts() override;
    std::vector<OutboxRow> rows(bool dead, std::size_t limit, std::string_view listener_id = {}) override;
    std::vector<OutboxRow> rows_by_seq(const std::vector<std::int64_t>& seqs) override;
    std::size_t retry_dead(std::optional<std::string_view> delivery_id, Micros now) override;
    std::size_t purge_dead() override;
    bool pending_up_to(std::int64_t seq) override;
    std::int64_t last_seq() override;
    void drop_listener(std::string_view listener_id) override;
    std::vector<ProcessEntry> processes() override;
    std::vector<OutboxRow> rows_after(std::int64_t after, std::size_t limit) override;
    void import_rows(const std::vector<OutboxRow>& rows, const std::string& key) override;
    std::int64_t import_mark(const std::string& key) override;
    void set_mark(const std::string& key, std::int64_t value) override;
    void import_counts(const AttemptCounts& counts) override;
    void checkpoint() override;
    bool changed() override;

private:
    void announce(bool coming) noexcept override;
    struct Statements;
    std::unique_ptr<sqlite::Database> db_;
    bool durable_;
    GroupCommit writer_;
    std::unique_ptr<Statements> sql_;  // used only inside writer_.run()
    std::mutex checkpoint_mutex_;
    std::unique_ptr<sqlite::Database> checkpointer_;  // also watches data_version
    std::int64_t data_version_ = -1;                   // under checkpoint_mutex_
};

}  // namespace notify::core
