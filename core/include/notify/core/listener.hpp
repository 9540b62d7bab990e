// Listener: which events go to which handler, with which settings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/timestamp.hpp"
#include "notify/core/topic_pattern.hpp"

namespace notify::core {

inline constexpr std::string_view masked_secret = "********";
inline constexpr std::string_view default_format = "cloudevents";

// A plain value; not synchronised.
struct Listener {
    std::string id;                        // assigned by the store: 8 characters, e.g. "k7m2x9qa"
    std::string kind;                      // handler kind: "amqp", "email", "http" or a plugin's
    std::vector<TopicPattern> event_types; // the event types it wants, as patterns
    std::string format = std::string(default_format);
    nlohmann::json settings = nlohmann::json::object();  // handler settings
    std::vector<std::string> secret_keys;  // settings that hold secrets: names, or JSON pointers ("/headers/X-Key")
    bool delay_until_effective = false;    // hold each event until its effective time
    // A jq program run on the event's JSON form (type, id, time, effective, source, data):
    // the listener takes the event only when its first output is `true`. Empty: every
    // event its patterns match. Evaluated by fire(), before anything is stored.
    std::string filter;
    Timestamp created{};
    Timestamp updated{};

    // True when any of its patterns matches `type`.
    bool matches(std::string_view type) const noexcept;
    // settings with every secret value replaced by masked_secret.
    nlohmann::json masked_settings() const;
};

// Throws notify::ValidationError unless `kind` is 1-64 characters of a-z, 0-9, '_' or '-'
// starting with a letter (the same rule holds for format names).
void validate_handler_kind(std::string_view kind);

// Throws notify::ValidationError with jq's message (and the line in the program) unless
// `program` is a jq program that compiles, of at most 4096 bytes.
void validate_filter(const std::string& program);

// Checks the rules every stored listener obeys (kind and format are lower-case words of
// [a-z0-9_-], 1-64 patterns without repeats, settings an object, secret keys unique names,
// a filter that compiles).
// Handler-specific checks belong to the HandlerFactory. Throws notify::ValidationError.
void validate_listener(const Listener& listener);

// The listener as shown to people and tools, secrets masked. There is deliberately no
// unmasked JSON form.
nlohmann::json to_json(const Listener& listener);

}  // namespace notify::core
