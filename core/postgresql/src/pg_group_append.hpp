// Group commit for the PostgreSQL outbox (internal): fire()s of the same moment share one
// statement and one commit, on a connection of their own.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "outbox.hpp"
#include "pg.hpp"

namespace notify::store::postgresql {

class PgGroupAppend {
public:
    // `quoted_schema` is a quoted_schema(); `channel` the change_channel() parked rows are
    // announced on. Connects at the first append().
    PgGroupAppend(pg::ConnectOptions options, std::string quoted_schema, std::string channel);

    // Thread-safe. Inserts the rows of `items` (owned ones with `owner`) and returns their
    // seqs in order. Callers arriving while a statement runs wait for it, and the next one
    // inserts all their rows at once: one round trip and one commit, all or nothing. Throws
    // notify::StoreError when that commit failed (none of this call's rows were stored) or
    // its outcome is unknown (the connection broke while committing: they may be stored).
    std::vector<std::int64_t> append(const std::vector<core::Outbox::AppendItem>& items, core::Micros created_at,
                                     std::int64_t owner);

private:
    struct Request {
        const std::vector<core::Outbox::AppendItem>* items;
        core::Micros created_at;
        std::int64_t owner;
        std::vector<std::int64_t> seqs;
        std::exception_ptr error;
        bool done = false;
    };
    // Runs one statement for the whole batch; fills each request's seqs or error.
    void lead(const std::vector<Request*>& batch) noexcept;

    const pg::ConnectOptions options_;
    const std::string insert_;  // the statement, schema spliced in
    const std::string channel_;
    std::mutex mutex_;
    std::condition_variable done_;
    std::vector<Request*> waiting_;         // under mutex_
    bool leading_ = false;                  // under mutex_
    std::optional<pg::Connection> connection_;  // the leader's alone
};

}  // namespace notify::store::postgresql
