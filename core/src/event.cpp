// Event validation, identity and JSON form.
#include "notify/core/event.hpp"

#include <functional>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "word_rules.hpp"

namespace notify::core {

namespace {

constexpr std::string_view type_rule =
    "an event type is 1-255 bytes of dot-separated words of letters, digits, '_' and '-'";

// Empty when `type` is valid, else the first rule it breaks.
std::string event_type_problem(std::string_view type) {
    if (type.empty()) return "it is empty";
    if (type.size() > max_event_type_bytes) {
        return "it is " + std::to_string(type.size()) + " bytes long";
    }
    std::size_t word_start = 0;
    for (std::size_t i = 0; i <= type.size(); ++i) {
        if (i == type.size() || type[i] == '.') {
            if (i == word_start) return "word " + std::to_string(word_start) + " is empty";
            word_start = i + 1;
        } else if (!detail::is_word_char(type[i])) {
            if (type[i] == '*' || type[i] == '#') return "wildcards belong in patterns, not types";
            return "byte " + std::to_string(i) + " is not allowed";
        }
    }
    return {};
}

}  // namespace

void validate_event_type(std::string_view type) {
    const std::string problem = event_type_problem(type);
    if (!problem.empty()) {
        throw ValidationError("invalid event type " + quote_text(type) + ": " + problem + "; " +
                              std::string(type_rule));
    }
}

bool is_valid_event_type(std::string_view type) noexcept {
    try {
        return event_type_problem(type).empty();
    } catch (...) {  // only std::bad_alloc while building a message
        return false;
    }
}

std::string new_uuid() {
    thread_local boost::uuids::random_generator generator;
    return boost::uuids::to_string(generator());
}

Event::Event(std::string type, nlohmann::json data, std::string source)
    : type_(std::move(type)), type_hash_(0), id_(new_uuid()), time_(now()) {
    validate_event_type(type_);
    type_hash_ = std::hash<std::string_view>{}(type_);
    set_data(std::move(data));
    set_source(std::move(source));
}

Event::Event(std::string type, std::string id, Timestamp time, nlohmann::json data, std::string source)
    : type_(std::move(type)), type_hash_(0), time_(time) {
    validate_event_type(type_);
    type_hash_ = std::hash<std::string_view>{}(type_);
    set_id(std::move(id));
    set_data(std::move(data));
    set_source(std::move(source));
}

namespace {

// Throws unless `id` is 1-255 bytes of printable ASCII without spaces; `what` names it.
void check_ascii_id(const std::string& id, const char* what) {
    if (id.empty() || id.size() > max_event_id_bytes) {
        throw ValidationError(std::string("invalid ") + what + " " + quote_text(id) + ": it must be 1-255 bytes");
    }
    for (const char c : id) {
        if (c < 0x21 || c > 0x7e) {
            throw ValidationError(std::string("invalid ") + what + " " + quote_text(id) +
                                  ": only printable ASCII without spaces is allowed");
        }
    }
}

}  // namespace

void Event::set_id(std::string id) {
    check_ascii_id(id, "event id");
    id_ = std::move(id);
}

void Event::set_correlation_id(std::optional<std::string> id) {
    if (id) check_ascii_id(*id, "correlation id");
    correlation_id_ = std::move(id);
}

void Event::set_source(std::string source) {
    if (source.empty() || source.size() > 1024 || has_control_chars(source) ||
        !is_valid_utf8(source)) {
        throw ValidationError("invalid event source " + quote_text(source) +
                              ": it must be 1-1024 bytes of UTF-8 without control characters");
    }
    source_ = std::move(source);
}

namespace {

// Bytes `value` takes as compact JSON, roughly (strings and keys exactly, plus quotes and
// separators; numbers as 8); throws once it passes max_event_data_bytes or nests deeper
// than max_event_data_depth. Recursion is bounded by the depth check.
std::size_t data_size(const nlohmann::json& value, std::size_t depth, std::size_t so_far,
                      const char* what = "event data") {
    if (depth > max_event_data_depth && value.is_structured()) {
        throw ValidationError(std::string("invalid ") + what + ": nested deeper than " + std::to_string(max_event_data_depth) +
                              " levels");
    }
    std::size_t size = 0;
    if (value.is_object()) {
        for (const auto& [key, item] : value.items()) size += key.size() + 4 + data_size(item, depth + 1, so_far + size, what);
    } else if (value.is_array()) {
        for (const auto& item : value) size += 1 + data_size(item, depth + 1, so_far + size, what);
    } else if (value.is_string()) {
        size = value.get_ref<const std::string&>().size() + 2;
    } else {
        size = 8;
    }
    if (so_far + size > max_event_data_bytes) {
        throw ValidationError(std::string("invalid ") + what + ": larger than " + std::to_string(max_event_data_bytes / 1024) +
                              " KiB as JSON");
    }
    return size + 2;
}

}  // namespace

void Event::set_data(nlohmann::json data) {
    if (!data.is_object()) {
        throw ValidationError(std::string("invalid event data: it must be a JSON object, not ") +
                              data.type_name());
    }
    (void)data_size(data, 1, 0);
    data_ = std::move(data);
}

void Event::set_call_report(nlohmann::json report) {
    (void)data_size(report, 1, 0, "call_report");
    call_report_ = std::move(report);
}

nlohmann::json to_json(const Event& event) {
    nlohmann::json j = {
        {"type", event.type()},
        {"id", event.id()},
        {"time", format_rfc3339(event.time())},
    };
    if (event.effective()) j["effective"] = format_rfc3339(*event.effective());
    j["source"] = event.source();
    j["data"] = event.data();
    if (!event.call_report().is_null()) j["call_report"] = event.call_report();
    if (event.correlation_id()) j["correlation_id"] = *event.correlation_id();
    return j;
}

Event event_from_json(const nlohmann::json& json) { return event_from_json(nlohmann::json(json)); }

Event event_from_json(nlohmann::json&& json) {
    if (!json.is_object()) {
        throw ValidationError(std::string("invalid event JSON: expected an object, not ") +
                              json.type_name());
    }
    const auto string_member = [&](const char* name) -> std::string& {
        const auto it = json.find(name);
        if (it == json.end()) {
            throw ValidationError(std::string("invalid event JSON: missing \"") + name + "\"");
        }
        if (!it->is_string()) {
            throw ValidationError(std::string("invalid event JSON: \"") + name +
                                  "\" must be a string, not " + it->type_name());
        }
        return it->get_ref<std::string&>();
    };
    const auto data_it = json.find("data");
    Event event(std::move(string_member("type")), std::move(string_member("id")), parse_rfc3339(string_member("time")),
                data_it == json.end() ? nlohmann::json::object() : std::move(*data_it),
                std::move(string_member("source")));
    if (json.contains("effective") && !json.at("effective").is_null()) {
        event.set_effective(parse_rfc3339(string_member("effective")));
    }
    if (const auto report = json.find("call_report"); report != json.end()) event.set_call_report(std::move(*report));
    if (json.contains("correlation_id")) event.set_correlation_id(std::move(string_member("correlation_id")));
    return event;
}

}  // namespace notify::core
