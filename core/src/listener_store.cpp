// The listener store: ids, validation and times; the rows are a store engine's (listener_rows.hpp).
#include "notify/core/listener_store.hpp"

#include <sys/random.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "listener_rows.hpp"
#include "store_engines.hpp"

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

}  // namespace

struct ListenerStore::Impl {
    std::filesystem::path path;  // empty for a store that is not a file
    std::unique_ptr<ListenerRows> rows;
    std::atomic<std::uint64_t> local_changes{0};
};

ListenerStore::ListenerStore(const std::filesystem::path& path, const LogFunction& log)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    impl_->rows = sqlite_listener_rows(path, log);
}

ListenerStore::ListenerStore(const StoreLocation& location, const LogFunction& log)
    : impl_(std::make_unique<Impl>()) {
    if (location.is_file()) impl_->path = location.path;
    impl_->rows = open_listener_rows(location, log);
}

ListenerStore::ListenerStore(std::unique_ptr<ListenerRows> rows) : impl_(std::make_unique<Impl>()) {
    impl_->rows = std::move(rows);
}

ListenerStore::~ListenerStore() = default;

const std::filesystem::path& ListenerStore::path() const noexcept { return impl_->path; }

Listener ListenerStore::create(Listener listener) {
    validate_listener(listener);
    listener.created = listener.updated = now();
    for (int attempt = 0;; ++attempt) {
        listener.id = new_listener_id();
        bool inserted = false;
        impl_->rows->write([&](ListenerRows::Tx& tx) { inserted = tx.insert(listener); });
        if (inserted) {
            impl_->local_changes.fetch_add(1, std::memory_order_release);
            return listener;
        }
        if (attempt == 16) throw StoreError(impl_->rows->where() + ": cannot find a free listener id");
    }
}

std::optional<Listener> ListenerStore::find(std::string_view id) const { return impl_->rows->find(normalise_id(id)); }

Listener ListenerStore::get(std::string_view id) const {
    auto found = find(id);
    if (!found) throw NotFound("no listener with id " + quote_text(id));
    return std::move(*found);
}

std::vector<Listener> ListenerStore::list() const { return impl_->rows->list(); }

Listener ListenerStore::update(Listener listener) {
    validate_listener(listener);
    listener.id = normalise_id(listener.id);
    impl_->rows->write([&](ListenerRows::Tx& tx) {
        const auto existing = tx.find(listener.id);
        if (!existing) throw NotFound("no listener with id " + quote_text(listener.id));
        listener.created = existing->created;
        listener.updated = now();
        tx.replace(listener);
    });
    impl_->local_changes.fetch_add(1, std::memory_order_release);
    return listener;
}

Listener ListenerStore::modify(std::string_view id, const std::function<void(Listener&)>& change) {
    const std::string key = normalise_id(id);
    Listener listener;
    impl_->rows->write([&](ListenerRows::Tx& tx) {
        const auto existing = tx.find(key);
        if (!existing) throw NotFound("no listener with id " + quote_text(id));
        listener = *existing;
        change(listener);
        listener.id = existing->id;
        listener.kind = existing->kind;
        listener.created = existing->created;
        listener.updated = now();
        validate_listener(listener);
        tx.replace(listener);
    });
    impl_->local_changes.fetch_add(1, std::memory_order_release);
    return listener;
}

void ListenerStore::remove(std::string_view id) {
    const std::string key = normalise_id(id);
    impl_->rows->write([&](ListenerRows::Tx& tx) {
        if (!tx.erase(key)) throw NotFound("no listener with id " + quote_text(id));
    });
    impl_->local_changes.fetch_add(1, std::memory_order_release);
}

std::uint64_t ListenerStore::local_changes() const noexcept {
    return impl_->local_changes.load(std::memory_order_acquire);
}

std::uint64_t ListenerStore::revision() const { return impl_->rows->revision(); }

}  // namespace notify::core
