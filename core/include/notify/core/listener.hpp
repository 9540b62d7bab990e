// Listener: which events go to which handler, with which settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/timestamp.hpp"
#include "notify/core/topic_pattern.hpp"

namespace notify::core {

inline constexpr std::string_view masked_secret = "********";
inline constexpr std::string_view default_format = "cloudevents";

// How many deliveries of one listener may start per interval: a token bucket holding up to
// `count` starts, refilled at count per `per` (docs/listeners.md, Rate limits).
struct DeliveryRate {
    std::uint32_t count = 0;  // 0: no limit
    std::chrono::milliseconds per{1000};
    bool limited() const noexcept { return count > 0; }
    bool operator==(const DeliveryRate&) const = default;
};

// "N/s" or "N/min" (N from 1 to 100000); "" is no limit. Throws notify::ValidationError
// naming the text.
DeliveryRate parse_rate(std::string_view text);
// The form parse_rate() reads; "" for no limit.
std::string to_string(const DeliveryRate& rate);

inline constexpr std::chrono::milliseconds min_digest{std::chrono::seconds(1)};
inline constexpr std::chrono::milliseconds max_digest{std::chrono::hours(24)};
inline constexpr int max_mails_per_hour_limit = 100000;

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
    // A jq program run on the same JSON form at delivery: its first output is the message
    // body (JSON, content type application/json) instead of the format's. Empty: none.
    std::string transform;
    DeliveryRate rate;  // deliveries past it wait (never dropped); no limit by default
    // For handlers that take digests (HandlerFactory::takes_digests(), the email handler):
    // events wait this long from the first one of a window, then go as one message listing
    // them all. 0: one message per event.
    std::chrono::milliseconds digest{0};
    // For the same handlers: at most this many messages an hour (each attempt counts);
    // past it, events wait and go together in the next message. 0: no limit.
    int max_mails_per_hour = 0;
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
// The same for a transform ("the transform does not compile: ...").
void validate_transform(const std::string& program);

// The listener's filter run on `event` as fire() runs it: `passed` (always, without a
// filter), or the jq error for which fire() leaves the listener out. Thread-safe.
struct FilterVerdict {
    bool passed = true;
    std::string error;
};
class Event;
FilterVerdict evaluate_filter(const Listener& listener, const Event& event);

// Checks the rules every stored listener obeys (kind and format are lower-case words of
// [a-z0-9_-], 1-64 patterns without repeats, settings an object, secret keys unique names,
// a filter and a transform that compile, rate, digest and max_mails_per_hour in range).
// Handler-specific checks belong to the HandlerFactory. Throws notify::ValidationError.
void validate_listener(const Listener& listener);

// The listener as shown to people and tools, secrets masked. There is deliberately no
// unmasked JSON form.
nlohmann::json to_json(const Listener& listener);

}  // namespace notify::core
