#include "listener_rows.hpp"

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::core {

namespace {

std::string delivery_rules(const Listener& l) {
    nlohmann::json rules = nlohmann::json::object();
    if (!l.transform.empty()) rules["transform"] = l.transform;
    if (l.rate.limited()) rules["rate"] = to_string(l.rate);
    if (l.digest.count() != 0) rules["digest_ms"] = l.digest.count();
    if (l.max_mails_per_hour != 0) rules["max_mails_per_hour"] = l.max_mails_per_hour;
    return rules.dump();
}

void read_delivery_rules(Listener& l, const std::string& text) {
    const auto rules = nlohmann::json::parse(text.empty() ? "{}" : text);
    if (!rules.is_object()) throw ValidationError("delivery_rules is not a JSON object");
    l.transform = rules.value("transform", std::string());
    l.rate = parse_rate(rules.value("rate", std::string()));
    l.digest = std::chrono::milliseconds(rules.value("digest_ms", std::int64_t{0}));
    l.max_mails_per_hour = rules.value("max_mails_per_hour", 0);
}

}  // namespace

ListenerColumns to_columns(const Listener& l) {
    nlohmann::json patterns = nlohmann::json::array();
    for (const auto& p : l.event_types) patterns.push_back(p.text());
    return {l.id,
            l.kind,
            patterns.dump(),
            l.format,
            l.settings.dump(),
            nlohmann::json(l.secret_keys).dump(),
            l.delay_until_effective ? 1 : 0,
            format_rfc3339(l.created),
            format_rfc3339(l.updated),
            l.filter,
            delivery_rules(l)};
}

Listener from_columns(const ListenerColumns& c, const std::string& where) {
    try {
        Listener l;
        l.id = c.id;
        l.kind = c.kind;
        for (const auto& p : nlohmann::json::parse(c.event_types)) l.event_types.emplace_back(p.get<std::string>());
        l.format = c.format;
        l.settings = nlohmann::json::parse(c.settings);
        l.secret_keys = nlohmann::json::parse(c.secret_keys).get<std::vector<std::string>>();
        l.delay_until_effective = c.delay_until_effective != 0;
        l.created = parse_rfc3339(c.created);
        l.updated = parse_rfc3339(c.updated);
        l.filter = c.filter;
        read_delivery_rules(l, c.delivery_rules);
        return l;
    } catch (const std::exception& e) {
        throw StoreError(where + ": listener " + quote_text(c.id) + " is damaged: " + e.what());
    }
}

}  // namespace notify::core
