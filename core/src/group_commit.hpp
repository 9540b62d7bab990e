// GroupCommit: concurrent writers share one SQLite transaction and one commit (internal).
#pragma once

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

    void lead(Request* const* group, std::size_t size);

    sqlite::Database& db_;
    const std::size_t max_group_;
    std::mutex mutex_;
    std::deque<Request*> queue_;
};

}  // namespace notify::core
