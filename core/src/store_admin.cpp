// notify store check and notify store migrate, over any two store engines.
#include "notify/core/store_admin.hpp"

#include <filesystem>
#include <random>

#include "listener_rows.hpp"
#include "notify/core/error.hpp"
#include "store_engines.hpp"

namespace notify::core {

namespace {

const LogFunction quiet = [](LogLevel, std::string_view) {};

constexpr std::chrono::minutes recently(2);  // a heartbeat this young: the process runs
constexpr std::size_t chunk = 1000;          // outbox rows per transaction

// The source as the destination remembers it: the same however a file is named.
std::string source_key(const StoreLocation& from) {
    if (!from.is_file()) return from.describe();
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(from.path, ec);
    return ec ? from.path.string() : canonical.string();
}

bool same_columns(const Listener& a, const Listener& b) {
    const auto x = to_columns(a);
    const auto y = to_columns(b);
    return x.kind == y.kind && x.event_types == y.event_types && x.format == y.format && x.settings == y.settings &&
           x.secret_keys == y.secret_keys && x.delay_until_effective == y.delay_until_effective &&
           x.created == y.created && x.updated == y.updated && x.filter == y.filter &&
           x.delivery_rules == y.delivery_rules;
}

std::string plural(std::uint64_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

void check_store_location(const StoreLocation& location) {
    if (location.is_file()) return;
    const auto engine = store_engine(location);
    if (engine.validate) engine.validate(location);
}

StoreReport check_store(const StoreLocation& location) {
    StoreReport report;
    report.engine = location.engine();
    report.location = location.describe();
    report.current_version = current_store_version();
    const StoreHeader header = inspect_store_header(location);
    report.exists = header.exists;
    report.version = header.version;
    report.facts = header.facts;
    if (!header.problem.empty()) report.problems.push_back(header.problem);
    if (!header.exists || !header.problem.empty()) return report;
    if (header.version > report.current_version) {
        report.problems.push_back("written by a newer notify (store schema " + std::to_string(header.version) +
                                  ", this build knows up to " + std::to_string(report.current_version) + ")");
        return report;
    }
    if (header.version < report.current_version) return report;  // migrated at the next start: not counted
    try {
        report.listeners = open_listener_rows(location, quiet)->list().size();
        auto outbox = open_durable_outbox(location, false, quiet);
        for (const auto& [listener, n] : outbox->counts()) {
            report.pending += n.parked;
            report.in_flight += n.owned;
            report.dead += n.dead;
        }
        for (const auto& p : outbox->processes()) {
            report.processes.push_back(
                {p.id, p.host, p.pid, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(p.silent_for))});
        }
    } catch (const StoreError& e) {
        report.problems.push_back(e.what());
    }
    return report;
}

void migrate_store(const StoreLocation& from, const StoreLocation& to, bool force,
                   const std::function<void(const std::string&)>& step) {
    std::error_code ec;
    if (from.describe() == to.describe() ||
        (from.is_file() && to.is_file() && std::filesystem::equivalent(from.path, to.path, ec))) {
        throw ValidationError("the source and the destination are the same store");
    }
    const StoreHeader source = inspect_store_header(from);
    if (!source.exists || !source.problem.empty()) {
        throw ValidationError("nothing to migrate from " + from.describe() + ": " +
                              (source.problem.empty() ? "no notify store" : source.problem));
    }
    if (source.version != current_store_version()) {
        // Opening it would upgrade it, and the source is never changed.
        throw ValidationError(from.describe() + " is store schema " + std::to_string(source.version) +
                              "; this notify migrates from schema " + std::to_string(current_store_version()) +
                              " only (let the notify that wrote it, or notify serve of this version, open it first)");
    }
    auto from_rows = open_listener_rows(from, quiet);
    auto from_outbox = open_durable_outbox(from, false, quiet);
    for (const auto& p : from_outbox->processes()) {
        if (std::chrono::microseconds(p.silent_for) >= recently) continue;
        if (!force) {
            throw ValidationError("a notify process still delivers from " + from.describe() + " (host " + p.host +
                                  ", pid " + std::to_string(p.pid) +
                                  "): stop notify serve and the hosts first, or --force (its deliveries may then be "
                                  "sent twice)");
        }
        step("warning: process " + std::to_string(p.pid) + " on " + p.host + " may still deliver from the source");
    }

    auto to_rows = open_listener_rows(to, quiet);
    auto to_outbox = open_durable_outbox(to, false, quiet);
    // The same store under two names (a URL spelt differently, a link to the file): a mark
    // set in the destination then shows in the source.
    const std::string probe = "same_store_probe";
    const std::int64_t token = (static_cast<std::int64_t>(std::random_device{}()) << 20) + 1;
    to_outbox->set_mark(probe, token);
    if (from_outbox->import_mark(probe) == token) {
        throw ValidationError("the source and the destination are the same store (" + from.describe() + ", " +
                              to.describe() + ")");
    }
    step("destination: " + to.describe() + " (store schema " + std::to_string(current_store_version()) + ")");

    std::size_t added = 0, updated = 0, same = 0;
    for (const auto& listener : from_rows->list()) {
        to_rows->write([&](ListenerRows::Tx& tx) {
            const auto there = tx.find(listener.id);
            if (!there) {
                tx.insert(listener);
                ++added;
            } else if (!same_columns(*there, listener)) {
                tx.replace(listener);
                ++updated;
            } else {
                ++same;
            }
        });
    }
    step("listeners: " + std::to_string(added) + " new, " + std::to_string(updated) + " updated, " +
         std::to_string(same) + " already there");

    const std::string key = "imported_from:" + source_key(from);
    const std::int64_t mark = to_outbox->import_mark(key);
    const std::int64_t last = from_outbox->last_seq();  // rows added meanwhile wait for the next run
    std::uint64_t pending = 0, dead = 0, chunks = 0;
    for (std::int64_t after = mark; after < last;) {
        auto rows = from_outbox->rows_after(after, chunk);
        std::erase_if(rows, [&](const OutboxRow& r) { return r.seq > last; });
        if (rows.empty()) break;
        to_outbox->import_rows(rows, key);
        for (const auto& r : rows) ++(r.dead_at ? dead : pending);
        after = rows.back().seq;
        ++chunks;
    }
    step("deliveries: " + plural(pending, "pending", "pending") + " and " + plural(dead, "dead letter", "dead letters") +
         " copied (parked) in " + plural(chunks, "transaction", "transactions") +
         (mark > 0 ? "; those up to source seq " + std::to_string(mark) + " were copied by an earlier run" : ""));

    Outbox::AttemptCounts counts;
    for (const auto& [listener, n] : from_outbox->counts()) {
        if (n.delivered > 0 || n.retried > 0) counts[listener] = {n.delivered, n.retried};
    }
    to_outbox->import_counts(counts);
    step("counters: delivered and retried of " + plural(counts.size(), "listener", "listeners") + " carried over");
    step("done: " + from.describe() + " is unchanged; point [store] at " + to.describe() +
         " and start notify serve there");
}

}  // namespace notify::core
