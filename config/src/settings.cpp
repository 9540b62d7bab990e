// Typed access to loaded settings.
#include "notify/config/settings.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "notify/core/error.hpp"
#include "notify/core/listener.hpp"
#include "notify/core/store_location.hpp"
#include "values.hpp"

namespace notify::config {

namespace {

template <typename T>
const T& as(const Section::Entry& entry, std::string_view section, std::string_view key) {
    if (const auto* value = std::get_if<T>(&entry.value)) return *value;
    throw std::logic_error("config [" + std::string(section) + "] " + std::string(key) +
                           " read with the wrong type");
}

nlohmann::json value_json(const Value& value) {
    return std::visit(
        [](const auto& v) -> nlohmann::json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
                return v.count();
            } else {
                return v;
            }
        },
        value);
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max) {
    core::KeySpec spec;
    spec.type = core::ValueType::duration;
    spec.min = min.count();
    spec.max = max.count();
    try {
        return std::get<std::chrono::milliseconds>(detail::parse_value(spec, text));
    } catch (const detail::ValueProblem& e) {
        throw ValidationError(e.what());
    }
}

std::string mask_url_password(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    // PostgreSQL URLs are libpq's to read: a password may hold '/', '?' or '@', or sit in
    // the query (password=...). core masks those forms, with its own mark.
    std::string scheme(url.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "postgresql" || scheme == "postgres") {
        std::string masked = core::mask_store_url(url);
        for (auto at = masked.find("***"); at != std::string::npos; at = masked.find("***", at + core::masked_secret.size())) {
            masked.replace(at, 3, core::masked_secret);
        }
        return masked;
    }
    const auto authority_start = scheme_end + 3;
    const auto authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority_start) return std::string(url);
    const auto colon = url.substr(0, at).find(':', authority_start);
    if (colon == std::string_view::npos) return std::string(url);
    return std::string(url.substr(0, colon + 1)) + std::string(core::masked_secret) +
           std::string(url.substr(at));
}

Section::Section(SectionSpec spec, std::map<std::string, Entry, std::less<>> entries)
    : spec_(std::move(spec)), entries_(std::move(entries)) {}

const Section::Entry& Section::entry(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
        throw std::logic_error("config [" + name() + "] has no key " + std::string(key));
    }
    return it->second;
}

const std::string& Section::string(std::string_view key) const {
    return as<std::string>(entry(key), name(), key);
}

bool Section::boolean(std::string_view key) const { return as<bool>(entry(key), name(), key); }

std::int64_t Section::integer(std::string_view key) const {
    return as<std::int64_t>(entry(key), name(), key);
}

std::chrono::milliseconds Section::duration(std::string_view key) const {
    return as<std::chrono::milliseconds>(entry(key), name(), key);
}

const std::vector<std::string>& Section::list(std::string_view key) const {
    return as<std::vector<std::string>>(entry(key), name(), key);
}

const std::string& Section::origin(std::string_view key) const { return entry(key).origin; }

nlohmann::json Section::to_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, e] : entries_) out[key] = value_json(e.value);
    return out;
}

nlohmann::json Section::to_masked_json() const {
    nlohmann::json out = to_json();
    for (const auto& key : spec_.keys) {
        auto& value = out[key.name];
        if (key.secret && value.is_string() && !value.get_ref<const std::string&>().empty()) {
            value = core::masked_secret;
        } else if (key.type == ValueType::url && value.is_string()) {
            value = mask_url_password(value.get<std::string>());
        } else if (key.type == ValueType::url_list) {
            for (auto& url : value) url = mask_url_password(url.get<std::string>());
        }
    }
    return out;
}

Settings::Settings(std::vector<Section> sections, std::optional<std::filesystem::path> file)
    : sections_(std::move(sections)), file_(std::move(file)) {}

const Section& Settings::section(std::string_view name) const {
    for (const auto& s : sections_) {
        if (s.name() == name) return s;
    }
    throw std::logic_error("config has no section [" + std::string(name) + "]");
}

core::StoreLocation StoreSettings::location() const {
    core::StoreLocation l(path);
    l.url = url;
    l.password = password;
    l.schema = schema;
    return l;
}

StoreSettings Settings::store() const {
    const auto& s = section("store");
    return {s.string("path"), s.string("outbox") == "memory", s.string("sync") == "full",
            s.string("url"),  s.string("password"),             s.string("schema")};
}

DeliverySettings Settings::delivery() const {
    const auto& d = section("delivery");
    const int workers = static_cast<int>(d.integer("workers"));
    int concurrency = static_cast<int>(d.integer("listener_concurrency"));
    if (d.origin("listener_concurrency") == "default") {
        // Left unset, it follows workers: lower, so one stuck listener cannot hold them all.
        concurrency = std::max(1, std::min(concurrency, workers - 1));
    }
    return {workers, concurrency,
            static_cast<int>(d.integer("listener_prefetch")), static_cast<int>(d.integer("max_attempts")),
            d.duration("max_age"), d.duration("backoff_initial"), d.duration("backoff_max"),
            d.duration("lease")};
}

ServeSettings Settings::serve() const {
    const auto& s = section("serve");
    return {s.string("metrics"), s.duration("unhealthy_after")};
}

LogSettings Settings::log() const {
    const auto& s = section("log");
    const auto& level = s.string("level");
    const core::LogLevel lowest = level == "debug"     ? core::LogLevel::debug
                                  : level == "warning" ? core::LogLevel::warning
                                  : level == "error"   ? core::LogLevel::error
                                                       : core::LogLevel::info;
    return {lowest, s.string("format") == "json"};
}

nlohmann::json Settings::to_masked_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& s : sections_) out[s.name()] = s.to_masked_json();
    return out;
}

}  // namespace notify::config
