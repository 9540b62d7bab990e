// Group commit in the style of LevelDB's writer queue.
#include "group_commit.hpp"

#include <chrono>
#include <vector>

namespace notify::core {

namespace {

void execute(sqlite::Statement& statement) {
    statement.run();
    statement.reset();
}

}  // namespace

GroupCommit::Control::Control(sqlite::Database& db)
    : begin(db.prepare("BEGIN IMMEDIATE")),
      commit(db.prepare("COMMIT")),
      rollback(db.prepare("ROLLBACK")),
      savepoint(db.prepare("SAVEPOINT request")),
      release(db.prepare("RELEASE request")),
      rollback_to(db.prepare("ROLLBACK TO request")) {}

GroupCommit::GroupCommit(sqlite::Database& db, std::size_t max_group)
    : db_(db), control_(db), max_group_(max_group) {}

void GroupCommit::run(const Work& work) {
    Request self;
    self.work = &work;
    std::unique_lock lock(mutex_);
    queue_.push_back(&self);
    if (queue_.size() > 1) queue_.front()->wake.notify_one();  // a lingering leader may take it
    self.wake.wait(lock, [&] { return self.done || queue_.front() == &self; });
    if (!self.done) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        while (static_cast<int>(queue_.size()) < coming_.load() && queue_.size() < max_group_) {
            if (self.wake.wait_until(lock, until) == std::cv_status::timeout) break;
        }
        const std::size_t size = std::min(queue_.size(), max_group_);
        std::vector<Request*> group(queue_.begin(), queue_.begin() + static_cast<long>(size));
        lock.unlock();  // others may queue up while this group is written
        lead(group.data(), group.size());
        lock.lock();
        for (std::size_t i = 0; i < size; ++i) {
            Request* r = queue_.front();
            queue_.pop_front();
            r->done = true;
            if (r != &self) r->wake.notify_one();
        }
        if (!queue_.empty()) queue_.front()->wake.notify_one();  // the next leader
    }
    lock.unlock();
    if (self.error) std::rethrow_exception(self.error);
}

void GroupCommit::lead(Request* const* group, std::size_t size) {
    const bool isolate = size > 1;
    bool open = false;
    try {
        execute(control_.begin);
        open = true;
        for (std::size_t i = 0; i < size; ++i) {
            Request& r = *group[i];
            if (!isolate) {
                // A lone caller's failure rolls the whole transaction back (below): none of
                // its work is kept, as with a savepoint.
                (*r.work)(db_);
                continue;
            }
            execute(control_.savepoint);
            try {
                (*r.work)(db_);
                execute(control_.release);
            } catch (...) {
                r.error = std::current_exception();
                execute(control_.rollback_to);
                execute(control_.release);
            }
        }
        execute(control_.commit);
        open = false;
    } catch (...) {
        // The commit (or BEGIN, or a lone caller's work) failed: nothing of this group was stored.
        if (open) {
            try {
                execute(control_.rollback);
            } catch (...) {
            }
        }
        for (std::size_t i = 0; i < size; ++i) {
            if (!group[i]->error) group[i]->error = std::current_exception();
        }
    }
}

}  // namespace notify::core
