// Listener rules, matching and masked JSON.
#include "notify/core/listener.hpp"

#include <algorithm>
#include <set>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/text.hpp"
#include "jq_program.hpp"

namespace notify::core {

namespace {

bool is_name(std::string_view text) {
    return !text.empty() && text.size() <= 64 && text[0] >= 'a' && text[0] <= 'z' &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
           });
}

}  // namespace

bool Listener::matches(std::string_view type) const noexcept {
    return std::any_of(event_types.begin(), event_types.end(),
                       [&](const TopicPattern& p) { return p.matches(type); });
}

nlohmann::json Listener::masked_settings() const {
    nlohmann::json out = settings;
    const auto mask = [](nlohmann::json& value) {
        if (!value.is_null() && !(value.is_string() && value.get_ref<const std::string&>().empty())) {
            value = masked_secret;
        }
    };
    for (const auto& key : secret_keys) {
        if (key.front() == '/') {
            // A JSON pointer to a nested secret, e.g. "/headers/X-Api-Key".
            try {
                const nlohmann::json::json_pointer pointer(key);
                if (out.contains(pointer)) mask(out[pointer]);
            } catch (const nlohmann::json::exception&) {
                // validate_listener() refuses such keys; nothing to mask.
            }
        } else if (const auto it = out.find(key); it != out.end()) {
            mask(*it);
        }
    }
    return out;
}

void validate_handler_kind(std::string_view kind) {
    if (!is_name(kind)) {
        throw ValidationError("invalid handler kind " + quote_text(kind) +
                              ": expected 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter");
    }
}

namespace {

void validate_program(std::string_view what, const std::string& program) {
    if (program.size() > 4096) {
        throw ValidationError("the " + std::string(what) + " has " + std::to_string(program.size()) +
                              " bytes; at most 4096");
    }
    jq::check("the " + std::string(what) + " does not compile", program);
}

}  // namespace

void validate_filter(const std::string& program) { validate_program("filter", program); }

void validate_transform(const std::string& program) { validate_program("transform", program); }

FilterVerdict evaluate_filter(const Listener& listener, const Event& event) {
    if (listener.filter.empty()) return {};
    const auto outcome = jq::Input(to_json(event).dump()).test(listener.filter);
    return {outcome.passed, outcome.error};
}

DeliveryRate parse_rate(std::string_view text) {
    if (text.empty()) return {};
    const auto bad = [&] {
        return ValidationError("invalid rate " + quote_text(text) + ": expected N/s or N/min, N from 1 to 100000");
    };
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash > 6) throw bad();
    std::uint32_t count = 0;
    for (const char c : text.substr(0, slash)) {
        if (c < '0' || c > '9') throw bad();
        count = count * 10 + static_cast<std::uint32_t>(c - '0');
    }
    const auto unit = text.substr(slash + 1);
    DeliveryRate rate;
    rate.count = count;
    if (unit == "s") {
        rate.per = std::chrono::seconds(1);
    } else if (unit == "min") {
        rate.per = std::chrono::minutes(1);
    } else {
        throw bad();
    }
    if (count < 1 || count > 100000) throw bad();
    return rate;
}

std::string to_string(const DeliveryRate& rate) {
    if (!rate.limited()) return {};
    return std::to_string(rate.count) + (rate.per == std::chrono::minutes(1) ? "/min" : "/s");
}

void validate_listener(const Listener& listener) {
    validate_handler_kind(listener.kind);
    if (!is_name(listener.format)) {
        throw ValidationError("invalid format " + quote_text(listener.format) +
                              ": expected 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter");
    }
    if (listener.event_types.empty()) {
        throw ValidationError("a listener needs at least one event type");
    }
    if (listener.event_types.size() > 64) {
        throw ValidationError("a listener takes at most 64 event types, not " +
                              std::to_string(listener.event_types.size()));
    }
    std::set<std::string_view> seen;
    for (const auto& pattern : listener.event_types) {
        if (!seen.insert(pattern.text()).second) {
            throw ValidationError("event type " + quote_text(pattern.text()) + " is given twice");
        }
    }
    if (!listener.settings.is_object()) {
        throw ValidationError("listener settings must be a JSON object");
    }
    std::set<std::string_view> secrets;
    for (const auto& key : listener.secret_keys) {
        if (key.empty() || !secrets.insert(key).second) {
            throw ValidationError("invalid secret key list: " + quote_text(key) + " is empty or repeated");
        }
        if (key.front() == '/') {
            try {
                (void)nlohmann::json::json_pointer(key);
            } catch (const nlohmann::json::exception&) {
                throw ValidationError("invalid secret key " + quote_text(key) + ": not a JSON pointer");
            }
        }
    }
    if (!listener.filter.empty()) validate_filter(listener.filter);
    if (!listener.transform.empty()) validate_transform(listener.transform);
    if (listener.rate.limited() && (listener.rate.count > 100000 || (listener.rate.per != std::chrono::seconds(1) &&
                                                                     listener.rate.per != std::chrono::minutes(1)))) {
        throw ValidationError("a rate must be N/s or N/min with N from 1 to 100000");
    }
    if (listener.digest.count() != 0 && (listener.digest < min_digest || listener.digest > max_digest)) {
        throw ValidationError("a digest window must be from 1s to 24h, not " + std::to_string(listener.digest.count()) +
                              " ms");
    }
    if (listener.max_mails_per_hour < 0 || listener.max_mails_per_hour > max_mails_per_hour_limit) {
        throw ValidationError("max mails per hour must be from 0 (no limit) to " +
                              std::to_string(max_mails_per_hour_limit) + ", not " +
                              std::to_string(listener.max_mails_per_hour));
    }
}

nlohmann::json to_json(const Listener& listener) {
    nlohmann::json types = nlohmann::json::array();
    for (const auto& p : listener.event_types) types.push_back(p.text());
    return {
        {"id", listener.id},
        {"kind", listener.kind},
        {"event_types", std::move(types)},
        {"format", listener.format},
        {"settings", listener.masked_settings()},
        {"delay_until_effective", listener.delay_until_effective},
        {"filter", listener.filter.empty() ? nlohmann::json() : nlohmann::json(listener.filter)},
        {"transform", listener.transform.empty() ? nlohmann::json() : nlohmann::json(listener.transform)},
        {"rate", listener.rate.limited() ? nlohmann::json(to_string(listener.rate)) : nlohmann::json()},
        {"digest_ms", listener.digest.count()},
        {"max_mails_per_hour", listener.max_mails_per_hour},
        {"created", format_rfc3339(listener.created)},
        {"updated", format_rfc3339(listener.updated)},
    };
}

}  // namespace notify::core
