// ListenerStore: listeners kept durably in the notify SQLite store file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "notify/core/listener.hpp"

namespace notify::core {

// Thread-safe. Several processes may use the same file at once (SQLite WAL; every write is
// one IMMEDIATE transaction). Every method throws notify::StoreError on I/O or file trouble;
// a failed write changes nothing.
class ListenerStore {
public:
    // Opens the store at `path`, creating the file (and folder) when missing. Throws
    // notify::StoreError, leaving the file untouched, when it is not an SQLite database, is
    // damaged, belongs to another program or was written by a newer notify.
    explicit ListenerStore(const std::filesystem::path& path);
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
    // Throws notify::NotFound naming the id.
    void remove(std::string_view id);

    // A number that changes whenever any process changes a listener in this file.
    std::uint64_t revision() const;
    // How many changes went through this object; lock-free, for cheap "did we just change
    // something" checks (other processes' changes show only in revision()).
    std::uint64_t local_changes() const noexcept;

    const std::filesystem::path& path() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace notify::core
