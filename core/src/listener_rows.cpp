#include "listener_rows.hpp"

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::core {

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
            l.filter};
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
        return l;
    } catch (const std::exception& e) {
        throw StoreError(where + ": listener " + quote_text(c.id) + " is damaged: " + e.what());
    }
}

}  // namespace notify::core
