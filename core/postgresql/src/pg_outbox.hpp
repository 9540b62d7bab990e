// PgOutbox: the outbox in a PostgreSQL schema, shared by every process of a fleet
// (internal; see core/src/outbox.hpp for the contract).
//
// Claims take rows with FOR UPDATE SKIP LOCKED, so processes claiming at once never get
// the same row; heartbeats and leases run on the server's clock, so hosts whose clocks
// disagree still agree on who is dead (the `now` that register_process(), heartbeat(),
// rejoin() and adopt_dead() take is not used).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "outbox.hpp"
#include "pg.hpp"
#include "pg_group_append.hpp"

namespace notify::store::postgresql {

// Appends (fire()) are group-committed on a connection of their own; everything else uses
// one connection, one call at a time (a mutex): every method is thread-safe. A lost
// connection is opened again at the next call; the call that found it lost throws
// notify::StoreError, as every method does when the server refuses.
class PgOutbox final : public core::Outbox {
public:
    // Connects and creates or migrates notify's tables in `schema` (see open_schema()).
    PgOutbox(const pg::ConnectOptions& options, const std::string& schema);

    bool durable() const noexcept override { return true; }
    std::vector<std::int64_t> append(const std::string& event_json, core::Micros created_at,
                                     const std::vector<core::OutboxInsert>& inserts, std::int64_t owner) override;
    std::vector<std::int64_t> append_batch(const std::vector<AppendItem>& items, core::Micros created_at,
                                           std::int64_t owner) override;
    std::vector<core::OutboxRow> claim(std::string_view listener_id, core::Micros now, std::size_t limit,
                                       std::int64_t owner) override;
    std::optional<core::Micros> next_due(std::string_view listener_id) override;
    void complete(const std::vector<core::Completion>& completions, std::int64_t owner,
                  const AttemptCounts& counts) override;
    std::int64_t register_process(const core::ProcessIdentity& self, core::Micros now) override;
    bool heartbeat(std::int64_t id, core::Micros now) override;
    void rejoin(const core::ProcessIdentity& self, std::int64_t id, core::Micros now) override;
    std::size_t adopt_dead(const core::ProcessIdentity& self, std::int64_t self_id, core::Micros now,
                           core::Micros lease) override;
    std::size_t adopt_orphans() override;
    void release(std::int64_t owner) override;
    void park(const std::vector<std::int64_t>& seqs, std::int64_t owner, core::Micros due_at) override;
    std::map<std::string, core::OutboxCounts> counts() override;
    std::vector<core::OutboxRow> rows(bool dead, std::size_t limit, std::string_view listener_id = {}) override;
    std::vector<core::OutboxRow> rows_by_seq(const std::vector<std::int64_t>& seqs) override;
    std::size_t retry_dead(std::optional<std::string_view> delivery_id, core::Micros now) override;
    std::size_t purge_dead() override;
    bool pending_up_to(std::int64_t seq) override;
    std::int64_t last_seq() override;
    void drop_listener(std::string_view listener_id) override;
    std::vector<ProcessEntry> processes() override;
    std::vector<core::OutboxRow> rows_after(std::int64_t after, std::size_t limit) override;
    void import_rows(const std::vector<core::OutboxRow>& rows, const std::string& key) override;
    std::int64_t import_mark(const std::string& key) override;
    void set_mark(const std::string& key, std::int64_t value) override;
    void import_counts(const AttemptCounts& counts) override;
    void checkpoint() override {}  // the server keeps its own log
    // What another process announced (LISTEN/NOTIFY on a connection of its own, opened at the
    // first call). True also when that connection was (re)opened: announcements may have been
    // missed. A server that cannot be reached gives false, tried again after a second; the
    // callers' polling covers the gap.
    bool changed() override;

private:
    void announce(bool) noexcept override {}  // concurrent commits are the server's to group
    // Runs `work` on the connection, in a transaction opened by the statement `begin`
    // (nullptr: none), after making the connection ready (connected, no transaction open).
    template <typename Work>
    auto run(const char* begin, Work&& work);
    std::string sql(const char* text) const;  // "{s}" replaced by the quoted schema
    // Parks the rows of claims whose commit may have happened unseen (under mutex_, on a
    // ready connection); throws notify::StoreError, keeping them for the next call.
    void settle_claims();

    pg::ConnectOptions options_;
    std::string schema_;   // quoted
    std::string channel_;  // change_channel()
    std::mutex mutex_;
    pg::Connection connection_;  // under mutex_
    std::vector<std::pair<std::int64_t, std::int64_t>> unsettled_claims_;  // (seq, owner), under mutex_
    PgGroupAppend appender_;  // fire()'s rows, on a connection of their own
    std::mutex listen_mutex_;
    std::unique_ptr<pg::Connection> listen_;  // under listen_mutex_: LISTENs on channel_
    std::chrono::steady_clock::time_point next_listen_try_;
};

}  // namespace notify::store::postgresql
