// Outbox: deliveries waiting for their handler, in the store file or in memory (internal).
//
// A row is either owned (owner = the process that will attempt it; it sits in that
// process's memory queue) or parked (owner NULL; any process may claim it once due_at has
// passed). fire() inserts rows owned when the firing process will deliver them at once, so
// the common path is one insert and one delete and touches no secondary index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "group_commit.hpp"
#include "notify/core/log.hpp"
#include "process_identity.hpp"
#include "sqlite.hpp"

namespace notify::core {

using Micros = std::int64_t;  // microseconds since the epoch, UTC

struct OutboxInsert {
    std::string delivery_id;
    std::string listener_id;
    Micros due_at;
    bool owned;  // held by the inserting process's dispatcher, else parked
};

struct OutboxRow {
    std::int64_t seq = 0;
    std::string delivery_id;
    std::string listener_id;
    std::string event_json;
    Micros created_at = 0;
    Micros due_at = 0;
    int attempts = 0;  // attempts made so far
    std::string last_error;
    std::optional<Micros> dead_at;
    bool owned = false;
};

// The outcome of one attempt, as the outbox records it.
struct Completion {
    enum class Kind { delivered, retry, dead };
    std::int64_t seq;
    Kind kind;
    int attempts;          // attempts made, this one included
    Micros due_at = 0;     // retry: the next attempt
    std::string error;     // retry and dead: why
};

struct OutboxCounts {
    std::uint64_t parked = 0;
    std::uint64_t owned = 0;
    std::uint64_t dead = 0;
    std::optional<Micros> oldest_created;  // of rows not dead
    std::uint64_t delivered = 0;
    std::uint64_t retried = 0;
};

// Deletes a listener's deliveries and counters; part of the caller's transaction.
void forget_listener_deliveries(sqlite::Database& db, std::string_view listener_id);

// Thread-safe: every call goes through one GroupCommit, so concurrent calls share commits.
// Every method throws notify::StoreError when the store cannot be read or written.
class Outbox {
public:
    // The outbox tables of the store file, on their own connection. `sync_full`: fsync
    // every commit (survives power loss) instead of only handing it to the OS (survives a
    // crash of the process).
    static std::unique_ptr<Outbox> open_file(const std::filesystem::path& path, bool sync_full, const LogFunction& log);
    // A private in-memory outbox: gone when the process ends.
    static std::unique_ptr<Outbox> open_memory();
    ~Outbox();

    bool durable() const noexcept { return durable_; }

    // Announces an append() about to come (see GroupCommit::Announcement).
    GroupCommit& writer() noexcept { return writer_; }

    // One delivery per insert for one event, in one (group) commit. `owner` marks the owned
    // ones. Returns the new rows' seq numbers, in order.
    std::vector<std::int64_t> append(const std::string& event_json, Micros created_at,
                                     const std::vector<OutboxInsert>& inserts, std::int64_t owner);
    // append() for several events in one (group) commit; the seq numbers of all their rows,
    // in order. The pointers must stay valid during the call.
    struct AppendItem {
        const std::string* event_json;
        const std::vector<OutboxInsert>* inserts;
    };
    std::vector<std::int64_t> append_batch(const std::vector<AppendItem>& items, Micros created_at, std::int64_t owner);

    // Takes up to `limit` parked rows of a listener that are due by `now`, oldest first.
    std::vector<OutboxRow> claim(std::string_view listener_id, Micros now, std::size_t limit, std::int64_t owner);
    // The earliest due_at among a listener's parked rows.
    std::optional<Micros> next_due(std::string_view listener_id);
    // Per listener: attempts that delivered, attempts that will be retried.
    using AttemptCounts = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;
    // Records outcomes of rows `owner` holds (rows it no longer holds are left alone) and
    // adds `counts` to the per-listener counters, in one transaction.
    void complete(const std::vector<Completion>& completions, std::int64_t owner, const AttemptCounts& counts);

    // Process registry: who owns rows, and whether they still live.
    // Registers this process under an id no process of this store ever had.
    std::int64_t register_process(const ProcessIdentity& self, Micros now);
    // Renews the process's lease. False: the registry no longer knows `id` (another
    // process took this one for dead and parked its rows); see rejoin().
    bool heartbeat(std::int64_t id, Micros now);
    // Registers this process again under its old id, after heartbeat() returned false.
    void rejoin(const ProcessIdentity& self, std::int64_t id, Micros now);
    // Parks the rows of processes that died (gone from this host, or silent for `lease`)
    // and forgets them. Returns how many rows were parked.
    std::size_t adopt_dead(const ProcessIdentity& self, std::int64_t self_id, Micros now, Micros lease);
    // Parks rows held by a process the registry no longer knows (a row a stopping process
    // inserted after it released its rows). Reads the whole table: for start-up only.
    std::size_t adopt_orphans();
    // Parks every row `owner` holds and forgets the process (clean shutdown).
    void release(std::int64_t owner);
    // Parks the given rows of `owner` (held but never attempted), due at `due_at` at the latest.
    void park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due_at);

    // Administration.
    std::map<std::string, OutboxCounts> counts();
    // Pending (or dead) rows, oldest first; of one listener unless `listener_id` is empty.
    std::vector<OutboxRow> rows(bool dead, std::size_t limit, std::string_view listener_id = {});
    // The rows of these seq numbers that still exist.
    std::vector<OutboxRow> rows_by_seq(const std::vector<std::int64_t>& seqs);
    std::size_t retry_dead(std::optional<std::string_view> delivery_id, Micros now);
    std::size_t purge_dead();
    // Whether a row with seq <= `seq` is still pending (not delivered, not dead). Reads the
    // rows below the oldest pending one: a few pages, plus the dead letters kept before it.
    bool pending_up_to(std::int64_t seq);
    // The highest seq in the outbox (0 when empty).
    std::int64_t last_seq();
    // Forgets every row of a listener that no longer exists.
    void drop_listener(std::string_view listener_id);
    // Copies the write-ahead log into the database file (durable outbox only).
    void checkpoint();
    // True when anything was committed to the store file (by this process or another)
    // since the last call: SQLite's PRAGMA data_version, a few microseconds. Always false
    // for the in-memory outbox.
    bool changed();

private:
    Outbox(std::unique_ptr<sqlite::Database> db, bool durable);
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
