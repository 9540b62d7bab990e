// Looking into a store and moving one to another (the notify store commands). Both
// functions open connections of their own: call them from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "notify/core/store_location.hpp"

namespace notify::core {

struct StoreReport {
    std::string engine;    // "sqlite", "postgresql"
    std::string location;  // StoreLocation::describe()
    bool exists = false;   // notify's tables are there
    int version = 0;       // their schema version (0: none)
    int current_version = 0;  // the version this build writes
    std::vector<std::pair<std::string, std::string>> facts;  // file mode, server, TLS...
    std::vector<std::string> problems;  // empty: usable as it is
    // Read only when the store exists at the current version:
    std::size_t listeners = 0;
    std::uint64_t pending = 0;    // waiting for their time or a process
    std::uint64_t in_flight = 0;  // held by a delivering process
    std::uint64_t dead = 0;
    struct Process {
        std::int64_t id = 0;
        std::string host;
        std::int64_t pid = 0;
        std::chrono::milliseconds silent_for{0};  // since its last heartbeat
    };
    std::vector<Process> processes;  // registered delivering processes
};

// Throws notify::ValidationError when no store engine serves location.url, or when the
// engine does not take its schema name. Connects to nothing.
void check_store_location(const StoreLocation& location);

// What the store at `location` holds and whether this build can use it. Never creates,
// migrates or changes it: a problem (missing, unreachable, damaged, newer) is reported,
// not thrown. Throws notify::ValidationError for a URL no store engine serves.
StoreReport check_store(const StoreLocation& location);

// Copies the listeners (ids, settings and times kept), every delivery still in the outbox
// (pending and dead letters, parked in `to`) and the delivered/retried counters from `from`
// to `to`, creating `to`'s tables when missing. `from` is never changed. Calls `step` once
// per step with one line saying what it did.
//
// Idempotent and resumable, for a source nothing uses meanwhile: listeners are matched by
// id (a changed one is updated), deliveries are copied in chunks whose last seq is
// recorded in `to` in the same transaction (a second run copies only what came after),
// counters are raised, never added to. Throws notify::ValidationError when `from` holds no
// store or one of another schema version, when both are the same store (under any name),
// or when a process delivering from `from` sent a heartbeat in the last two minutes
// (deliveries would be sent twice; `force` goes on anyway); notify::StoreError when either
// store fails (what was committed stays, and a new run resumes).
void migrate_store(const StoreLocation& from, const StoreLocation& to, bool force,
                   const std::function<void(const std::string&)>& step);

}  // namespace notify::core
