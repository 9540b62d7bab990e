// GroupCommit: concurrent writers share one SQLite transaction and one commit (internal).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>

#include "sqlite.hpp"

namespace notify::core {

// The first caller in the queue becomes the leader: it runs its own work and that of every
// caller queued behind it in one IMMEDIATE transaction, commits once and wakes them. Each
// caller's work runs in its own savepoint, so one failing caller does not undo the others.
// Thread-safe; the only user of its connection.
class GroupCommit {
public:
    using Work = std::function<void(sqlite::Database&)>;

    explicit GroupCommit(sqlite::Database& db, std::size_t max_group = 512);

    // Held by a caller from before it prepares its work until run() returned. A leader waits
    // up to 50 us for announced callers that have not queued yet, so concurrent callers
    // share commits instead of taking turns. A lone caller never waits.
    // announce() and withdraw() are its two ends, for a holder of another shape; every
    // announce() must be followed by one withdraw().
    void announce() noexcept { coming_.fetch_add(1); }
    void withdraw() noexcept { coming_.fetch_sub(1); }
    class Announcement {
    public:
        explicit Announcement(GroupCommit& g) : g_(&g) { g_->announce(); }
        Announcement(const Announcement&) = delete;
        Announcement& operator=(const Announcement&) = delete;
        ~Announcement() { g_->withdraw(); }

    private:
        GroupCommit* g_;
    };

    // Runs `work` inside a shared transaction and returns once that transaction committed.
    // Rethrows what `work` threw (its savepoint rolled back), or StoreError when the commit
    // failed (then nothing of the group was stored).
    void run(const Work& work);

    sqlite::Database& database() noexcept { return db_; }

private:
    struct Request {
        const Work* work = nullptr;
        std::exception_ptr error;
        bool done = false;
        std::condition_variable wake;
    };

    // The transaction's own statements, prepared once: preparing them for every commit
    // (sqlite3_exec) cost as much as the insert of an event.
    struct Control {
        explicit Control(sqlite::Database& db);
        sqlite::Statement begin, commit, rollback, savepoint, release, rollback_to;
    };

    void lead(Request* const* group, std::size_t size);

    sqlite::Database& db_;
    Control control_;
    const std::size_t max_group_;
    std::mutex mutex_;
    std::deque<Request*> queue_;
    std::atomic<int> coming_{0};
};

}  // namespace notify::core
