// The registry of store engines beside SQLite.
#include "store_engines.hpp"

#include <algorithm>
#include <mutex>

#include "notify/core/error.hpp"
#include "store_schema.hpp"

namespace notify::core {

namespace {

std::mutex& registry_mutex() {
    static std::mutex mutex;
    return mutex;
}

std::vector<StoreEngine>& registry() {
    static std::vector<StoreEngine> engines;
    return engines;
}

}  // namespace

void add_store_engine(StoreEngine engine) {
    std::lock_guard lock(registry_mutex());
    auto& engines = registry();
    for (auto& e : engines) {
        std::erase_if(e.schemes, [&](const std::string& s) {
            return std::find(engine.schemes.begin(), engine.schemes.end(), s) != engine.schemes.end();
        });
    }
    std::erase_if(engines, [](const StoreEngine& e) { return e.schemes.empty(); });
    engines.push_back(std::move(engine));
}

StoreEngine store_engine(const StoreLocation& location) {
    const std::string scheme = location.engine();
    if (scheme.empty()) {
        throw ValidationError("store URL " + location.describe() +
                              ": expected scheme://..., such as postgresql://user@host:5432/database");
    }
    std::lock_guard lock(registry_mutex());
    for (const auto& e : registry()) {
        if (std::find(e.schemes.begin(), e.schemes.end(), scheme) != e.schemes.end()) return e;
    }
    std::string known;
    for (const auto& e : registry()) {
        for (const auto& s : e.schemes) known += (known.empty() ? "" : ", ") + s + "://";
    }
    throw ValidationError("store URL " + location.describe() + ": no store engine for " + scheme +
                          ":// in this program (" + (known.empty() ? "it has only SQLite files" : "it has " + known) +
                          ")");
}

std::unique_ptr<ListenerRows> open_listener_rows(const StoreLocation& location, const LogFunction& log) {
    if (location.is_file()) return sqlite_listener_rows(location.path, log);
    return store_engine(location).listener_rows(location, log);
}

std::unique_ptr<Outbox> open_durable_outbox(const StoreLocation& location, bool sync_full, const LogFunction& log) {
    if (location.is_file()) return Outbox::open_file(location.path, sync_full, log);
    return store_engine(location).outbox(location, log);
}

StoreHeader inspect_store_header(const StoreLocation& location) {
    if (location.is_file()) return store_schema::inspect(location.path);
    return store_engine(location).inspect(location);
}

int current_store_version() noexcept { return store_schema::current_version; }

}  // namespace notify::core
