// Outbox: deliveries waiting for their handler, the store's part the dispatcher and fire()
// use (internal). One interface, one implementation per store engine: SqliteOutbox (the
// store file, or memory).
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

#include "notify/core/log.hpp"
#include "process_identity.hpp"

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

// Thread-safe: every method may be called from any thread at any time. Every method throws
// notify::StoreError when the store cannot be read or written.
class Outbox {
public:
    // SqliteOutbox on the store file's outbox tables, its own connection. `sync_full`: fsync
    // every commit (survives power loss) instead of only handing it to the OS (survives a
    // crash of the process).
    static std::unique_ptr<Outbox> open_file(const std::filesystem::path& path, bool sync_full, const LogFunction& log);
    // SqliteOutbox in a private in-memory database: gone when the process ends.
    static std::unique_ptr<Outbox> open_memory();
    virtual ~Outbox() = default;

    // Survives the process: rows, the process registry and leases are kept in a store.
    virtual bool durable() const noexcept = 0;

    // Held by fire() from before it builds its rows until append() returned: concurrent
    // fires then share one commit instead of taking turns.
    class Announcement {
    public:
        explicit Announcement(Outbox& outbox) noexcept : outbox_(&outbox) { outbox_->announce(true); }
        Announcement(const Announcement&) = delete;
        Announcement& operator=(const Announcement&) = delete;
        ~Announcement() { outbox_->announce(false); }

    private:
        Outbox* outbox_;
    };

    // One delivery per insert for one event, in one (group) commit. `owner` marks the owned
    // ones. Returns the new rows' seq numbers, in order.
    virtual std::vector<std::int64_t> append(const std::string& event_json, Micros created_at,
                                             const std::vector<OutboxInsert>& inserts, std::int64_t owner) = 0;
    // append() for several events in one (group) commit; the seq numbers of all their rows,
    // in order. The pointers must stay valid during the call.
    struct AppendItem {
        const std::string* event_json;
        const std::vector<OutboxInsert>* inserts;
    };
    virtual std::vector<std::int64_t> append_batch(const std::vector<AppendItem>& items, Micros created_at,
                                                   std::int64_t owner) = 0;

    // Takes up to `limit` parked rows of a listener that are due by `now`, oldest first;
    // none while another process holds rows of that listener, so that one process at a time
    // delivers a listener and its events start in fire order (docs/delivery.md, Ordering).
    virtual std::vector<OutboxRow> claim(std::string_view listener_id, Micros now, std::size_t limit,
                                         std::int64_t owner) = 0;
    // The earliest due_at among a listener's parked rows.
    virtual std::optional<Micros> next_due(std::string_view listener_id) = 0;
    // Per listener: attempts that delivered, attempts that will be retried.
    using AttemptCounts = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;
    // Records outcomes of rows `owner` holds (rows it no longer holds are left alone) and
    // adds `counts` to the per-listener counters, in one transaction.
    virtual void complete(const std::vector<Completion>& completions, std::int64_t owner, const AttemptCounts& counts) = 0;

    // Process registry: who owns rows, and whether they still live.
    // Registers this process under an id no process of this store ever had.
    virtual std::int64_t register_process(const ProcessIdentity& self, Micros now) = 0;
    // Renews the process's lease. False: the registry no longer knows `id` (another
    // process took this one for dead and parked its rows); see rejoin().
    virtual bool heartbeat(std::int64_t id, Micros now) = 0;
    // Registers this process again under its old id, after heartbeat() returned false.
    virtual void rejoin(const ProcessIdentity& self, std::int64_t id, Micros now) = 0;
    // Parks the rows of processes that died (gone from this host, or silent for `lease`)
    // and forgets them. Returns how many rows were parked.
    virtual std::size_t adopt_dead(const ProcessIdentity& self, std::int64_t self_id, Micros now, Micros lease) = 0;
    // Parks rows held by a process the registry no longer knows (a row a stopping process
    // inserted after it released its rows). Reads the whole table: for start-up only.
    virtual std::size_t adopt_orphans() = 0;
    // Parks every row `owner` holds and forgets the process (clean shutdown).
    virtual void release(std::int64_t owner) = 0;
    // Parks the given rows of `owner` (held but never attempted), due at `due_at` at the latest.
    virtual void park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due_at) = 0;

    // Administration.
    virtual std::map<std::string, OutboxCounts> counts() = 0;
    // Pending (or dead) rows, oldest first; of one listener unless `listener_id` is empty.
    virtual std::vector<OutboxRow> rows(bool dead, std::size_t limit, std::string_view listener_id = {}) = 0;
    // The rows of these seq numbers that still exist.
    virtual std::vector<OutboxRow> rows_by_seq(const std::vector<std::int64_t>& seqs) = 0;
    virtual std::size_t retry_dead(std::optional<std::string_view> delivery_id, Micros now) = 0;
    virtual std::size_t purge_dead() = 0;
    // Whether a row with seq <= `seq` is still pending (not delivered, not dead). Reads the
    // rows below the oldest pending one: a few pages, plus the dead letters kept before it.
    virtual bool pending_up_to(std::int64_t seq) = 0;
    // The highest seq in the outbox (0 when empty).
    virtual std::int64_t last_seq() = 0;
    // Forgets every row of a listener that no longer exists.
    virtual void drop_listener(std::string_view listener_id) = 0;
    // Moving a store (notify store migrate) and looking into one (notify store check).
    struct ProcessEntry {
        std::int64_t id = 0;
        std::string host;
        std::int64_t pid = 0;
        Micros silent_for = 0;  // since its last heartbeat, on the store's clock
    };
    virtual std::vector<ProcessEntry> processes() = 0;
    // Every row (pending, held or dead) with seq > `after`, by seq, at most `limit`.
    virtual std::vector<OutboxRow> rows_after(std::int64_t after, std::size_t limit) = 0;
    // Inserts copies of another store's `rows` (ascending seq), parked, keeping their times,
    // attempts, errors and dead marks, and records the last one's seq as the import mark
    // `key`, in one transaction: a run stopped midway resumes after the mark.
    virtual void import_rows(const std::vector<OutboxRow>& rows, const std::string& key) = 0;
    // The value recorded under `key` by import_rows() or set_mark(); 0 when none.
    virtual std::int64_t import_mark(const std::string& key) = 0;
    virtual void set_mark(const std::string& key, std::int64_t value) = 0;
    // Raises each listener's delivered and retried counters to at least the given ones (a
    // second import adds nothing).
    virtual void import_counts(const AttemptCounts& counts) = 0;

    // Store upkeep outside any fire() (SQLite: copies the write-ahead log into the file).
    virtual void checkpoint() = 0;
    // True when anything was committed to the store (by this process or another) since the
    // last call; cheap enough to ask every few milliseconds. False when nothing was, for a
    // store that is not durable, and for an engine that cannot tell cheaply: the dispatcher
    // then sees other processes' work at its next poll.
    virtual bool changed() = 0;

protected:
    Outbox() = default;

private:
    // Announcement's ends: `coming` true when a caller announces an append, false when it
    // is done (appended or not).
    virtual void announce(bool coming) noexcept = 0;
};

}  // namespace notify::core
