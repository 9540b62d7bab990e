// fire_in_transaction(): an event's outbox rows written in the host's own transaction.
#include <libpq-fe.h>

#include <map>

#include "notify/core/error.hpp"
#include "notify/store/postgresql.hpp"
#include "pg.hpp"
#include "pg_schema.hpp"

namespace notify::store::postgresql {

core::FireReceipt fire_in_transaction(core::Notifier& notifier, pg_conn* connection, const core::Event& event) {
    const auto& location = notifier.store_location();
    const std::string engine = location.engine();
    if (engine != "postgresql" && engine != "postgres") {
        throw ValidationError("fire_in_transaction: the notifier's store (" + location.describe() +
                              ") is not PostgreSQL");
    }
    if (connection == nullptr || PQtransactionStatus(connection) != PQTRANS_INTRANS) {
        throw ValidationError("fire_in_transaction: the connection has no transaction open (BEGIN first; a failed "
                              "transaction must be rolled back)");
    }
    const auto staged = notifier.stage(event);
    core::FireReceipt receipt;
    if (staged.rows.empty()) return receipt;

    std::vector<std::string> deliveries, listeners;
    std::string due = "{";
    for (const auto& r : staged.rows) {
        deliveries.push_back(r.delivery_id);
        listeners.push_back(r.listener_id);
        if (due.size() > 1) due += ',';
        due += std::to_string(r.due_at);
    }
    due += "}";
    const std::string schema = quoted_schema(location.schema);
    // Parked rows (no owner): whichever process delivers claims them once this commits.
    const std::string insert = with_schema(
        "INSERT INTO {s}.outbox (delivery_id, listener_id, event, created_at, due_at) "
        "SELECT d, l, $3, $4, due FROM unnest($1::text[], $2::text[], $5::bigint[]) AS u(d, l, due) "
        "RETURNING seq, listener_id",
        schema);
    const std::string created = std::to_string(staged.created_at);
    const std::string params[] = {pg::text_array(deliveries), pg::text_array(listeners), staged.event_json, created, due};
    const char* values[5];
    for (int i = 0; i < 5; ++i) values[i] = params[i].c_str();
    const std::string where = "fire_in_transaction on " + location.describe();
    const auto rows = pg::check_result(connection, PQexecParams(connection, insert.c_str(), 5, nullptr, values, nullptr,
                                                                nullptr, 0),
                                       where, insert);
    // Sent at commit only: a rollback leaves neither rows nor a wake-up.
    const std::string channel = change_channel(location.schema);
    const char* notify_values[] = {channel.c_str()};
    pg::check_result(connection, PQexecParams(connection, "SELECT pg_notify($1, '')", 1, nullptr, notify_values,
                                              nullptr, nullptr, 0),
                     where, "SELECT pg_notify");

    std::map<std::string, std::int64_t> seq_of;  // a listener has one row per event
    for (int i = 0; i < rows.rows(); ++i) seq_of[rows.text(i, 1)] = rows.integer(i, 0);
    for (const auto& r : staged.rows) receipt.deliveries.push_back({r.delivery_id, r.listener_id, seq_of.at(r.listener_id)});
    return receipt;
}

}  // namespace notify::store::postgresql
