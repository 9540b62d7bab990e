// A schema of the test server that only one test uses, dropped with its tables afterwards.
#pragma once

#include <random>
#include <string>

#include "notify/core/store_location.hpp"
#include "notify/store/postgresql.hpp"
#include "pg.hpp"
#include "pg_env.hpp"
#include "pg_schema.hpp"

namespace notify::test {

inline store::postgresql::pg::Connection connect() {
    return store::postgresql::pg::Connection({PostgresServer::get().url, PostgresServer::get().password});
}

struct ScratchSchema {
    std::string name;
    ScratchSchema() {
        std::random_device random;
        name = "test_" + std::to_string(random()) + std::to_string(random());
    }
    ~ScratchSchema() {
        try {
            connect().exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + store::postgresql::quoted_schema(name) + " CASCADE");
        } catch (...) {
        }
    }
    ScratchSchema(const ScratchSchema&) = delete;
    // This schema of the test server as server.conf's [store] url would name it, the
    // PostgreSQL engine enabled.
    core::StoreLocation location() const {
        store::postgresql::enable();
        core::StoreLocation l;
        l.url = PostgresServer::get().url;
        l.password = PostgresServer::get().password;
        l.schema = name;
        return l;
    }
    ScratchSchema& operator=(const ScratchSchema&) = delete;
};

}  // namespace notify::test
