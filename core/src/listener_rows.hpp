// ListenerRows: the listeners table of one store engine, under ListenerStore (internal).
// ListenerStore keeps the rules (ids, validation, times); an engine keeps the rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notify/core/listener.hpp"
#include "notify/core/log.hpp"

namespace notify::core {

// A listener as stored: text columns (JSON, RFC 3339), the same in every engine.
struct ListenerColumns {
    std::string id, kind, event_types, format, settings, secret_keys;
    std::int64_t delay_until_effective = 0;
    std::string created, updated;
    std::string filter;  // empty: none
    // transform, rate, digest and max_mails_per_hour as a JSON object (members left out
    // when unset), so that the next rule of this kind needs no new column.
    std::string delivery_rules = "{}";
};
ListenerColumns to_columns(const Listener& listener);
// Throws notify::StoreError naming `where` and the listener when a column cannot be read.
Listener from_columns(const ListenerColumns& columns, const std::string& where);

// Thread-safe. Every method throws notify::StoreError when the store cannot be read or
// written; a failed write() changes nothing.
class ListenerRows {
public:
    virtual ~ListenerRows() = default;

    // What one write transaction may do. Every change also moves the store's revision.
    class Tx {
    public:
        virtual ~Tx() = default;
        virtual bool insert(const Listener& listener) = 0;  // false: the id is taken
        // Holds the row against other writers until the transaction ends.
        virtual std::optional<Listener> find(const std::string& id) = 0;
        virtual void replace(const Listener& listener) = 0;
        // With the listener's deliveries and counters. False: no such listener.
        virtual bool erase(const std::string& id) = 0;
    };
    // Runs `work` in one write transaction: committed when it returns, rolled back when it
    // throws (the exception reaches the caller). Transactions of every process that uses the
    // store apply one after the other.
    virtual void write(const std::function<void(Tx&)>& work) = 0;

    virtual std::optional<Listener> find(const std::string& id) = 0;
    virtual std::vector<Listener> list() = 0;  // oldest first
    virtual std::uint64_t revision() = 0;      // moves with every change, by any process
    virtual std::string where() const = 0;     // the file, or the masked URL: for messages
};

// The listeners of the SQLite store file at `path` (see ListenerStore's constructor).
std::unique_ptr<ListenerRows> sqlite_listener_rows(const std::filesystem::path& path, const LogFunction& log);

}  // namespace notify::core
