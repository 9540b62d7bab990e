// The catalogue of known event types.
#include "notify/core/catalogue.hpp"

#include <mutex>

#include "notify/core/event.hpp"
#include "notify/core/well_known.hpp"

namespace notify::core {

namespace {

std::string org_description(OrgService service, OrgObject object, OrgAction action) {
    static constexpr std::string_view verbs[] = {"created", "updated", "deleted"};
    std::string text(to_string(object));
    for (char& c : text) {
        if (c == '_') c = ' ';
    }
    text += " of an ";
    text += service == OrgService::employee ? "employee" : "organisation unit";
    text += ' ';
    text += verbs[static_cast<int>(action)];
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

}  // namespace

EventCatalogue EventCatalogue::with_well_known() {
    EventCatalogue catalogue;
    for (const auto service : all_org_services) {
        for (const auto object : all_org_objects) {
            for (const auto action : all_org_actions) {
                catalogue.types_.emplace(org_event_type(service, object, action),
                                         org_description(service, object, action));
            }
        }
    }
    catalogue.types_.emplace("repo.sync.start", "A repository sync started");
    catalogue.types_.emplace("repo.sync.finish", "A repository sync finished (success or failure)");
    catalogue.types_.emplace("repo.publish.start", "A repository publish started");
    catalogue.types_.emplace("repo.publish.finish",
                             "A repository publish finished (success or failure)");
    return catalogue;
}

EventCatalogue::EventCatalogue(const EventCatalogue& other) {
    std::shared_lock lock(other.mutex_);
    types_ = other.types_;
}

void EventCatalogue::add(std::string_view type, std::string description) {
    validate_event_type(type);
    std::unique_lock lock(mutex_);
    types_.insert_or_assign(std::string(type), std::move(description));
}

bool EventCatalogue::contains(std::string_view type) const {
    std::shared_lock lock(mutex_);
    return types_.find(type) != types_.end();
}

std::vector<EventTypeInfo> EventCatalogue::list() const {
    std::shared_lock lock(mutex_);
    std::vector<EventTypeInfo> out;
    out.reserve(types_.size());
    for (const auto& [type, description] : types_) out.push_back({type, description});
    return out;
}

std::vector<std::string> EventCatalogue::matching(const TopicPattern& pattern) const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : types_) {
        if (pattern.matches(entry.first)) out.push_back(entry.first);
    }
    return out;
}

}  // namespace notify::core
