#include "pg_group_append.hpp"

#include <algorithm>
#include <map>

#include "notify/core/error.hpp"
#include "pg_schema.hpp"

namespace notify::store::postgresql {

namespace {

// Each returned seq is matched to its row by delivery id (the same event fired twice in one
// batch gives two rows of one id: they take its seqs in ascending order, rows in input
// order, ORDER BY n). The second part announces parked rows in the same transaction: a
// wake-up exactly when they commit.
constexpr const char* insert_sql =
    "WITH ins AS (INSERT INTO {s}.outbox (delivery_id, listener_id, event, created_at, due_at, owner) "
    "SELECT u.d, u.l, ($3::text[])[u.e], u.c, u.due, u.o "
    "FROM unnest($1::text[], $2::text[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[]) "
    "WITH ORDINALITY AS u(d, l, e, c, due, o, n) ORDER BY u.n RETURNING seq, delivery_id) "
    "SELECT seq, delivery_id FROM ins UNION ALL SELECT NULL, NULL FROM (SELECT pg_notify($8, '')) AS n WHERE $9::boolean";

void add_integer(std::string& array, std::int64_t value) {
    if (array.size() > 1) array += ',';
    array += std::to_string(value);
}

}  // namespace

PgGroupAppend::PgGroupAppend(pg::ConnectOptions options, std::string quoted_schema, std::string channel)
    : options_(std::move(options)), insert_(with_schema(insert_sql, quoted_schema)), channel_(std::move(channel)) {}

std::vector<std::int64_t> PgGroupAppend::append(const std::vector<core::Outbox::AppendItem>& items,
                                                core::Micros created_at, std::int64_t owner) {
    Request request{&items, created_at, owner, {}, nullptr};
    std::unique_lock lock(mutex_);
    waiting_.push_back(&request);
    while (!request.done) {
        if (leading_) {
            done_.wait(lock);
            continue;
        }
        leading_ = true;
        std::vector<Request*> batch;
        batch.swap(waiting_);
        lock.unlock();
        lead(batch);
        lock.lock();
        for (auto* r : batch) r->done = true;
        leading_ = false;
        done_.notify_all();
    }
    if (request.error) std::rethrow_exception(request.error);
    return std::move(request.seqs);
}

void PgGroupAppend::lead(const std::vector<Request*>& batch) noexcept {
    try {
        std::vector<std::string> deliveries, listeners, events;
        std::string event_index = "{", created = "{", due = "{", owners = "{";
        bool parked = false;
        std::size_t rows = 0;
        for (const auto* r : batch) {
            for (const auto& item : *r->items) {
                events.push_back(*item.event_json);
                for (const auto& in : *item.inserts) {
                    deliveries.push_back(in.delivery_id);
                    listeners.push_back(in.listener_id);
                    add_integer(event_index, static_cast<std::int64_t>(events.size()));  // 1-based
                    add_integer(created, r->created_at);
                    add_integer(due, in.due_at);
                    if (in.owned) {
                        add_integer(owners, r->owner);
                    } else {
                        owners += owners.size() > 1 ? ",NULL" : "NULL";
                        parked = true;
                    }
                    ++rows;
                }
            }
        }
        event_index += '}';
        created += '}';
        due += '}';
        owners += '}';
        std::map<std::string, std::vector<std::int64_t>> seqs;  // by delivery id, descending
        if (rows > 0) {
            if (!connection_) connection_.emplace(options_);
            connection_->ready();
            const auto result =
                connection_->exec_prepared("notify_append", insert_, {pg::text_array(deliveries), pg::text_array(listeners), pg::text_array(events),
                                            event_index, created, due, owners, channel_, parked ? "true" : "false"});
            for (int i = 0; i < result.rows(); ++i) {
                if (!result.is_null(i, 0)) seqs[result.text(i, 1)].push_back(result.integer(i, 0));
            }
            for (auto& [id, list] : seqs) std::sort(list.rbegin(), list.rend());
        }
        for (auto* r : batch) {
            for (const auto& item : *r->items) {
                for (const auto& in : *item.inserts) {
                    auto& list = seqs[in.delivery_id];
                    // Committed already: the rows are stored, whatever this says.
                    if (list.empty()) throw StoreError("the outbox returned no seq for delivery " + in.delivery_id);
                    r->seqs.push_back(list.back());
                    list.pop_back();
                }
            }
        }
    } catch (...) {
        const auto error = std::current_exception();
        for (auto* r : batch) {
            r->seqs.clear();
            r->error = error;
        }
    }
}

}  // namespace notify::store::postgresql
