// Store engines beside the built-in SQLite one (internal): an engine registers itself under
// the URL schemes it serves, and the listener store and the notifier open a StoreLocation's
// url through it. notify::store::postgresql::enable() registers PostgreSQL.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notify/core/log.hpp"
#include "notify/core/store_location.hpp"
#include "listener_rows.hpp"
#include "outbox.hpp"
#include "store_header.hpp"

namespace notify::core {

struct StoreEngine {
    std::vector<std::string> schemes;  // lower case: {"postgresql", "postgres"}
    std::function<std::unique_ptr<ListenerRows>(const StoreLocation&, const LogFunction&)> listener_rows;
    std::function<std::unique_ptr<Outbox>(const StoreLocation&, const LogFunction&)> outbox;
    std::function<StoreHeader(const StoreLocation&)> inspect;
    // Throws notify::ValidationError for a location the engine cannot use (a schema name).
    std::function<void(const StoreLocation&)> validate;
};

// Thread-safe. Registering a scheme again replaces its engine.
void add_store_engine(StoreEngine engine);

// The engine for location.url. Throws notify::ValidationError naming the (masked) URL when
// no engine serves its scheme (this build or program did not enable one).
StoreEngine store_engine(const StoreLocation& location);

// The listener rows and the durable outbox of `location`, a file or a URL.
std::unique_ptr<ListenerRows> open_listener_rows(const StoreLocation& location, const LogFunction& log);
std::unique_ptr<Outbox> open_durable_outbox(const StoreLocation& location, bool sync_full, const LogFunction& log);
StoreHeader inspect_store_header(const StoreLocation& location);
// The schema version this build writes (both engines share the numbers).
int current_store_version() noexcept;

}  // namespace notify::core
