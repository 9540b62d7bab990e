// EventCatalogue: the event types a process knows about, well-known and host-registered.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "notify/core/topic_pattern.hpp"

namespace notify::core {

struct EventTypeInfo {
    std::string type;
    std::string description;
    friend bool operator==(const EventTypeInfo&, const EventTypeInfo&) = default;
};

// Thread-safe: any method may be called from any thread at any time.
class EventCatalogue {
public:
    // An empty catalogue.
    EventCatalogue() = default;
    // The 60 organisation change types and the 4 repository types.
    static EventCatalogue with_well_known();

    EventCatalogue(const EventCatalogue& other);
    EventCatalogue& operator=(const EventCatalogue&) = delete;

    // Registers a type. Throws notify::ValidationError for an invalid type; registering a
    // known type again replaces its description.
    void add(std::string_view type, std::string description);

    bool contains(std::string_view type) const;
    // All known types, sorted by name.
    std::vector<EventTypeInfo> list() const;
    // The known types `pattern` matches, sorted by name.
    std::vector<std::string> matching(const TopicPattern& pattern) const;

private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::string, std::less<>> types_;
};

}  // namespace notify::core
