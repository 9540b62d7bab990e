// Settings: server.conf and environment overrides, checked and typed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/store_location.hpp"

#include "notify/config/schema.hpp"
#include "notify/core/log.hpp"

namespace notify::config {

using Value = std::variant<std::string, bool, std::int64_t, std::chrono::milliseconds,
                           std::vector<std::string>>;

// One section with a value for every key of its spec. Immutable once loaded, so safe to
// read from many threads. Asking for a key the spec lacks, or with the wrong type, is a
// programming error and throws std::logic_error.
class Section {
public:
    struct Entry {
        Value value;
        std::string origin;  // "server.conf:12", "NOTIFY_STORE__PATH" or "default"
    };

    Section(SectionSpec spec, std::map<std::string, Entry, std::less<>> entries);

    const std::string& name() const noexcept { return spec_.name; }
    const SectionSpec& spec() const noexcept { return spec_; }

    const std::string& string(std::string_view key) const;  // string, name, choice, url, path
    bool boolean(std::string_view key) const;
    std::int64_t integer(std::string_view key) const;
    std::chrono::milliseconds duration(std::string_view key) const;
    const std::vector<std::string>& list(std::string_view key) const;  // url_list
    const std::string& origin(std::string_view key) const;

    // Typed values (durations in milliseconds), secrets included: for handlers only.
    nlohmann::json to_json() const;
    // The same with secrets masked and URL passwords hidden: for output.
    nlohmann::json to_masked_json() const;

private:
    const Entry& entry(std::string_view key) const;

    SectionSpec spec_;
    std::map<std::string, Entry, std::less<>> entries_;
};

struct StoreSettings {
    std::filesystem::path path;
    bool memory_outbox;
    bool sync_full;
    std::string url;       // empty: the SQLite file at path
    std::string password;  // secret
    std::string schema;

    core::StoreLocation location() const;  // url (with password and schema) or path
};

struct DeliverySettings {
    int workers;
    int listener_concurrency;
    int listener_prefetch;
    int max_attempts;  // 0 = no limit
    std::chrono::milliseconds max_age;  // 0 = no limit
    std::chrono::milliseconds backoff_initial;
    std::chrono::milliseconds backoff_max;
    std::chrono::milliseconds lease;
};

struct ServeSettings {
    std::string metrics;  // address for /metrics and /healthz; empty = off
    std::chrono::milliseconds unhealthy_after;
};

struct LogSettings {
    core::LogLevel lowest;  // messages below it are not logged
    bool json;              // else text
};

class Settings {
public:
    Settings(std::vector<Section> sections, std::optional<std::filesystem::path> file);

    // Throws std::logic_error for a section the schema lacks.
    const Section& section(std::string_view name) const;
    const std::vector<Section>& sections() const noexcept { return sections_; }
    // The file that was read; empty when only defaults and the environment apply.
    const std::optional<std::filesystem::path>& file() const noexcept { return file_; }

    StoreSettings store() const;
    DeliverySettings delivery() const;
    ServeSettings serve() const;
    LogSettings log() const;

    // {"section": {"key": value}} with secrets masked.
    nlohmann::json to_masked_json() const;

private:
    std::vector<Section> sections_;
    std::optional<std::filesystem::path> file_;
};

// Replaces the password in "scheme://user:password@host" with ********.
std::string mask_url_password(std::string_view url);

// `text` as server.conf reads a duration ("500ms", "30s", "5m", "2h", "1d"; a bare number
// is seconds) within [min, max], for plugins that take durations in listener settings.
// Throws notify::ValidationError "expected a duration from <min> to <max>, like ...".
std::chrono::milliseconds parse_duration(std::string_view text, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max);

}  // namespace notify::config
