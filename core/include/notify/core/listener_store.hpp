// ListenerStore: listeners kept durably in the notify store (the SQLite file, or a store
// engine's rows).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "notify/core/listener.hpp"
#include "notify/core/log.hpp"
#include "notify/core/store_location.hpp"

namespace notify::core {

class ListenerRows;  // a store engine's listeners table (internal)

// Thread-safe. Several processes may use the same store at once (SQLite: WAL, every write
// one IMMEDIATE transaction; PostgreSQL: row locks). Every method throws notify::StoreError on I/O or file trouble;
// a failed write changes nothing.
class ListenerStore {
public:
    // Opens the store at `path`, creating the file (0600) and folder (0700) when missing.
    // Throws notify::StoreError, leaving the file untouched, when it is not an SQLite
    // database, is damaged, belongs to another program or was written by a newer notify,
    // and notify::StoreUnusable when users other than its owner can write it or its folder.
    // `log` gets a warning when they can read it.
    explicit ListenerStore(const std::filesystem::path& path, const LogFunction& log = log_to_stderr);
    // Opens the store at `location`: its file as above, or its URL through the store engine
    // registered for the URL's scheme (notify::ValidationError when none is; StoreError when
    // the database cannot be reached, is refused, or holds a newer notify's schema).
    explicit ListenerStore(const StoreLocation& location, const LogFunction& log = log_to_stderr);
    // Over another store engine's rows (for the engines themselves; see listener_rows.hpp).
    explicit ListenerStore(std::unique_ptr<ListenerRows> rows);
    ~ListenerStore();
    ListenerStore(const ListenerStore&) = delete;
    ListenerStore& operator=(const ListenerStore&) = delete;

    // Stores a new listener with a fresh id and timestamps (those given are ignored) and
    // returns it as stored. Throws notify::ValidationError when validate_listener() does.
    Listener create(Listener listener);

    // Ids are matched case-insensitively, ignoring surrounding spaces.
    std::optional<Listener> find(std::string_view id) const;
    // Like find(), but throws notify::NotFound naming the id.
    Listener get(std::string_view id) const;
    // All listeners, oldest first.
    std::vector<Listener> list() const;

    // Replaces the listener with listener.id, keeping its creation time; returns it as
    // stored. Throws notify::NotFound or notify::ValidationError.
    Listener update(Listener listener);
    // Reads the listener `id`, lets `change` edit it and stores the result, all in one
    // write transaction: concurrent modify() calls (in any process) apply one after the
    // other, and none is lost. The id, kind and creation time cannot be changed. Whatever
    // `change` throws (say notify::ValidationError) leaves the listener as it was and
    // reaches the caller; so do notify::NotFound and validate_listener()'s errors. `change`
    // runs with the store's write lock held: it must not wait for I/O or for people.
    Listener modify(std::string_view id, const std::function<void(Listener&)>& change);
    // Throws notify::NotFound naming the id.
    void remove(std::string_view id);

    // A number that changes whenever any process changes a listener in this file.
    std::uint64_t revision() const;
    // How many changes went through this object; lock-free, for cheap "did we just change
    // something" checks (other processes' changes show only in revision()).
    std::uint64_t local_changes() const noexcept;

    // The store file; empty for a store that is not a file.
    const std::filesystem::path& path() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace notify::core
