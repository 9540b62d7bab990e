// Event: the value a host fires, and its JSON form.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "notify/core/timestamp.hpp"

namespace notify::core {

inline constexpr std::size_t max_event_type_bytes = 255;
inline constexpr std::size_t max_event_id_bytes = 255;
// Event data limits: brokers, mail servers and receivers all have message size limits,
// and deep nesting is a denial-of-service vector for every JSON reader downstream.
inline constexpr std::size_t max_event_data_bytes = 1024 * 1024;
inline constexpr std::size_t max_event_data_depth = 64;
inline constexpr std::string_view default_event_source = "notify";

// Throws notify::ValidationError unless `type` is 1-255 bytes of dot-separated,
// non-empty words of [A-Za-z0-9_-] (so no wildcard). The message names the type and the rule.
void validate_event_type(std::string_view type);
bool is_valid_event_type(std::string_view type) noexcept;

// A typed event. Every setter validates and throws notify::ValidationError on bad input,
// leaving the event unchanged. Not synchronised: share it between threads only as const.
class Event {
public:
    // A new event of `type` with a fresh unique id (UUID v4) and the current time.
    // `data` must be a JSON object.
    explicit Event(std::string type,
                   nlohmann::json data = nlohmann::json::object(),
                   std::string source = std::string(default_event_source));

    const std::string& type() const noexcept { return type_; }
    // Hash of type(), computed once; lets the bus route without rehashing.
    std::size_t type_hash() const noexcept { return type_hash_; }

    // 1-255 bytes of printable ASCII (0x21-0x7e): it becomes an AMQP message-id.
    const std::string& id() const noexcept { return id_; }
    void set_id(std::string id);

    // When it happened (UTC).
    Timestamp time() const noexcept { return time_; }
    void set_time(Timestamp time) noexcept { time_ = time; }

    // When it takes effect, if that differs from time() (e.g. a change dated next month).
    const std::optional<Timestamp>& effective() const noexcept { return effective_; }
    void set_effective(std::optional<Timestamp> effective) noexcept { effective_ = effective; }

    // Who fired it, e.g. a host name or URI; non-empty, no control characters.
    const std::string& source() const noexcept { return source_; }
    void set_source(std::string source);

    // The payload: always a JSON object of at most max_event_data_bytes as JSON, nested at
    // most max_event_data_depth levels.
    const nlohmann::json& data() const noexcept { return data_; }
    void set_data(nlohmann::json data);

    // The report of the task the event fired in (Pulp 2's call_report), or null: any JSON
    // within the limits of data(). The pulp format sends it; the others do not.
    const nlohmann::json& call_report() const noexcept { return call_report_; }
    void set_call_report(nlohmann::json report);

    // The host's correlation id (e.g. the request or task the event belongs to), if any:
    // 1-255 bytes of printable ASCII without spaces. The amqp handler sends it as the
    // message's correlation-id.
    const std::optional<std::string>& correlation_id() const noexcept { return correlation_id_; }
    void set_correlation_id(std::optional<std::string> id);

    friend bool operator==(const Event& a, const Event& b) {
        return a.type_ == b.type_ && a.id_ == b.id_ && a.time_ == b.time_ &&
               a.effective_ == b.effective_ && a.source_ == b.source_ && a.data_ == b.data_ &&
               a.call_report_ == b.call_report_ && a.correlation_id_ == b.correlation_id_;
    }

private:
    // The stored form read back (event_from_json()): its own id and time, without drawing a
    // fresh id or reading the clock. Validates as the setters do.
    Event(std::string type, std::string id, Timestamp time, nlohmann::json data, std::string source);
    friend Event event_from_json(nlohmann::json&& json);

    std::string type_;
    std::size_t type_hash_;
    std::string id_;
    Timestamp time_;
    std::optional<Timestamp> effective_;
    std::string source_;
    nlohmann::json data_;
    nlohmann::json call_report_;  // null: none
    std::optional<std::string> correlation_id_;
};

// A fresh random UUID v4 in its 36-character text form. Thread-safe.
std::string new_uuid();

// JSON form: {"type", "id", "time", "effective" (only when set), "source", "data",
// "call_report", "correlation_id" (each only when set)}.
nlohmann::json to_json(const Event& event);
// Reads the JSON form back. Throws notify::ValidationError naming the member at fault.
Event event_from_json(const nlohmann::json& json);
// The same, taking data and call_report over from `json` instead of copying them.
Event event_from_json(nlohmann::json&& json);

}  // namespace notify::core

// Lets nlohmann::json convert events both ways: json j = event; j.get<Event>().
template <>
struct nlohmann::adl_serializer<notify::core::Event> {
    static void to_json(json& j, const notify::core::Event& e) { j = notify::core::to_json(e); }
    static notify::core::Event from_json(const json& j) { return notify::core::event_from_json(j); }
};
