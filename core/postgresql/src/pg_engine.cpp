// Registers the PostgreSQL engine with core's store registry.
#include "notify/store/postgresql.hpp"

#include "pg_listener_rows.hpp"
#include "pg_outbox.hpp"
#include "pg_schema.hpp"
#include "notify/core/error.hpp"
#include "store_engines.hpp"

namespace notify::store::postgresql {

namespace {

pg::ConnectOptions connect_options(const core::StoreLocation& location) {
    pg::ConnectOptions options;
    options.url = location.url;
    options.password = location.password;
    return options;
}

}  // namespace

void enable() {
    core::StoreEngine engine;
    engine.schemes = {"postgresql", "postgres"};
    engine.listener_rows = [](const core::StoreLocation& location, const core::LogFunction&) {
        return pg_listener_rows(connect_options(location), location.schema);
    };
    engine.outbox = [](const core::StoreLocation& location,
                       const core::LogFunction&) -> std::unique_ptr<core::Outbox> {
        return std::make_unique<PgOutbox>(connect_options(location), location.schema);
    };
    engine.inspect = [](const core::StoreLocation& location) {
        core::StoreHeader header;
        try {
            pg::Connection connection(connect_options(location));
            return inspect_schema(connection, location.schema);
        } catch (const Error& e) {
            header.problem = e.what();
        }
        return header;
    };
    engine.validate = [](const core::StoreLocation& location) { quoted_schema(location.schema); };
    core::add_store_engine(std::move(engine));
}

}  // namespace notify::store::postgresql
