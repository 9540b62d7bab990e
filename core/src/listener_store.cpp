// SQLite-backed listener store.
#include "notify/core/listener_store.hpp"

#include <sys/random.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "sqlite_outbox.hpp"
#include "sqlite.hpp"
#include "store_schema.hpp"

namespace notify::core {

namespace {

// No 0/o, 1/l/i: ids are read aloud and typed by hand.
constexpr std::string_view id_alphabet = "23456789abcdefghjkmnpqrstuvwxyz";
constexpr std::size_t id_length = 8;

// Random bytes straight from the kernel on every call: a seeded generator would be copied
// into a forked child, and parent and child would then hand out the same ids.
std::string new_listener_id() {
    constexpr unsigned limit = 256 - 256 % id_alphabet.size();  // rejection keeps it uniform
    std::string id;
    unsigned char bytes[32];
    while (id.size() < id_length) {
        if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
            throw StoreError(std::string("cannot read random bytes for a listener id: ") + std::strerror(errno));
        }
        for (const unsigned char b : bytes) {
            if (b < limit && id.size() < id_length) id += id_alphabet[b % id_alphabet.size()];
        }
    }
    return id;
}

std::string normalise_id(std::string_view id) {
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.front()))) id.remove_prefix(1);
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.remove_suffix(1);
    std::string out(id);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

constexpr std::string_view select_columns =
    "SELECT id, kind, event_types, format, settings, secret_keys, delay_until_effective, "
    "created, updated FROM listeners";

Listener read_row(const sqlite::Statement& row, const std::string& file) {
    try {
        Listener l;
        l.id = row.text(0);
        l.kind = row.text(1);
        for (const auto& p : nlohmann::json::parse(row.text(2))) {
            l.event_types.emplace_back(p.get<std::string>());
        }
        l.format = row.text(3);
        l.settings = nlohmann::json::parse(row.text(4));
        l.secret_keys = nlohmann::json::parse(row.text(5)).get<std::vector<std::string>>();
        l.delay_until_effective = row.integer(6) != 0;
        l.created = parse_rfc3339(row.text(7));
        l.updated = parse_rfc3339(row.text(8));
        return l;
    } catch (const std::exception& e) {
        throw StoreError(file + ": listener " + quote_text(row.text(0)) + " is damaged: " + e.what());
    }
}

nlohmann::json patterns_json(const Listener& l) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : l.event_types) out.push_back(p.text());
    return out;
}

// Binds columns 1-9 in the order of select_columns.
void bind_listener(sqlite::Statement& stmt, const Listener& l) {
    stmt.bind(1, l.id)
        .bind(2, l.kind)
        .bind(3, patterns_json(l).dump())
        .bind(4, l.format)
        .bind(5, l.settings.dump())
        .bind(6, nlohmann::json(l.secret_keys).dump())
        .bind(7, std::int64_t{l.delay_until_effective ? 1 : 0})
        .bind(8, format_rfc3339(l.created))
        .bind(9, format_rfc3339(l.updated));
}

void bump_revision(sqlite::Database& db) {
    db.run("UPDATE store_meta SET value = value + 1 WHERE key = 'listeners_revision'");
}

}  // namespace

struct ListenerStore::Impl {
    std::filesystem::path path;
    std::unique_ptr<sqlite::Database> db;
    mutable std::mutex mutex;
    std::atomic<std::uint64_t> local_changes{0};

    // The row of listener.id becomes `listener`; inside the caller's transaction.
    void replace(const Listener& listener) {
        auto stmt = db->prepare(
            "UPDATE listeners SET kind = ?2, event_types = ?3, format = ?4, settings = ?5, "
            "secret_keys = ?6, delay_until_effective = ?7, created = ?8, updated = ?9 WHERE id = ?1");
        bind_listener(stmt, listener);
        stmt.run();
        bump_revision(*db);
    }

    std::optional<Listener> find(const std::string& id) const {
        auto stmt = db->prepare(std::string(select_columns) + " WHERE id = ?1");
        stmt.bind(1, id);
        if (!stmt.step()) return std::nullopt;
        return read_row(stmt, db->path());
    }
};

ListenerStore::ListenerStore(const std::filesystem::path& path, const LogFunction& log)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    impl_->db = store_schema::open(path, log);
}

ListenerStore::~ListenerStore() = default;

const std::filesystem::path& ListenerStore::path() const noexcept { return impl_->path; }

Listener ListenerStore::create(Listener listener) {
    validate_listener(listener);
    listener.created = listener.updated = now();
    std::lock_guard lock(impl_->mutex);
    auto& db = *impl_->db;
    for (int attempt = 0;; ++attempt) {
        listener.id = new_listener_id();
        sqlite::Transaction tx(db);
        auto insert = db.prepare(
            "INSERT INTO listeners (id, kind, event_types, format, settings, secret_keys, "
            "delay_until_effective, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
            "ON CONFLICT (id) DO NOTHING");
        bind_listener(insert, listener);
        insert.run();
        if (db.changes() == 1) {
            bump_revision(db);
            tx.commit();
            impl_->local_changes.fetch_add(1, std::memory_order_release);
            return listener;
        }
        if (attempt == 16) throw StoreError(db.path() + ": cannot find a free listener id");
    }
}

std::optional<Listener> ListenerStore::find(std::string_view id) const {
    std::lock_guard lock(impl_->mutex);
    return impl_->find(normalise_id(id));
}

Listener ListenerStore::get(std::string_view id) const {
    auto found = find(id);
    if (!found) throw NotFound("no listener with id " + quote_text(id));
    return std::move(*found);
}

std::vector<Listener> ListenerStore::list() const {
    std::lock_guard lock(impl_->mutex);
    auto stmt = impl_->db->prepare(std::string(select_columns) + " ORDER BY created, id");
    std::vector<Listener> out;
    while (stmt.step()) out.push_back(read_row(stmt, impl_->db->path()));
    return out;
}

Listener ListenerStore::update(Listener listener) {
    validate_listener(listener);
    listener.id = normalise_id(listener.id);
    std::lock_guard lock(impl_->mutex);
    auto& db = *impl_->db;
    sqlite::Transaction tx(db);
    const auto existing = impl_->find(listener.id);
    if (!existing) throw NotFound("no listener with id " + quote_text(listener.id));
    listener.created = existing->created;
    listener.updated = now();
    impl_->replace(listener);
    tx.commit();
    impl_->local_changes.fetch_add(1, std::memory_order_release);
    return listener;
}

Listener ListenerStore::modify(std::string_view id, const std::function<void(Listener&)>& change) {
    const std::string key = normalise_id(id);
    std::lock_guard lock(impl_->mutex);
    auto& db = *impl_->db;
    sqlite::Transaction tx(db);  // BEGIN IMMEDIATE: the read below already holds the write lock
    auto existing = impl_->find(key);
    if (!existing) throw NotFound("no listener with id " + quote_text(id));
    Listener listener = *existing;
    change(listener);
    listener.id = existing->id;
    listener.kind = existing->kind;
    listener.created = existing->created;
    listener.updated = now();
    validate_listener(listener);
    impl_->replace(listener);
    tx.commit();
    impl_->local_changes.fetch_add(1, std::memory_order_release);
    return listener;
}

void ListenerStore::remove(std::string_view id) {
    std::lock_guard lock(impl_->mutex);
    auto& db = *impl_->db;
    sqlite::Transaction tx(db);
    const std::string key = normalise_id(id);
    db.run("DELETE FROM listeners WHERE id = ?1", key);
    if (db.changes() == 0) throw NotFound("no listener with id " + quote_text(id));
    forget_listener_deliveries(db, key);  // in the same transaction
    bump_revision(db);
    tx.commit();
    impl_->local_changes.fetch_add(1, std::memory_order_release);
}

std::uint64_t ListenerStore::local_changes() const noexcept {
    return impl_->local_changes.load(std::memory_order_acquire);
}

std::uint64_t ListenerStore::revision() const {
    std::lock_guard lock(impl_->mutex);
    auto stmt = impl_->db->prepare("SELECT value FROM store_meta WHERE key = 'listeners_revision'");
    return stmt.step() ? static_cast<std::uint64_t>(stmt.integer(0)) : 0;
}

}  // namespace notify::core
