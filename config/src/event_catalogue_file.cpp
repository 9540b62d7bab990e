// Reading an event catalogue file (text or JSON).
#include "notify/config/event_catalogue_file.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/text.hpp"

namespace notify::config {

namespace {

constexpr std::size_t max_catalogue_bytes = 4 << 20;

struct Entry {
    std::string type;
    std::string description;
    std::string where;  // "file:line" or "file: item N"
};
using Entries = std::vector<Entry>;

Entries from_json(const std::string& text, const std::string& name) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw ConfigError(name + ": not valid JSON at byte " + std::to_string(e.byte));
    }
    Entries entries;
    if (doc.is_object()) {
        for (const auto& [type, description] : doc.items()) {
            if (!description.is_string()) throw ConfigError(name + ": the description of " + core::quote_text(type) + " must be text");
            entries.push_back({type, description.get<std::string>(), name + ": " + core::quote_text(type)});
        }
        return entries;
    }
    if (!doc.is_array()) throw ConfigError(name + ": expected an array of {\"type\", \"description\"} or an object");
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const auto& item = doc[i];
        const std::string where = name + ": item " + std::to_string(i + 1);
        if (!item.is_object() || !item.contains("type") || !item.at("type").is_string()) {
            throw ConfigError(where + ": expected {\"type\": ..., \"description\": ...}");
        }
        const auto description = item.value("description", nlohmann::json(""));
        if (!description.is_string()) throw ConfigError(where + ": the description must be text");
        entries.push_back({item.at("type").get<std::string>(), description.get<std::string>(), where});
    }
    return entries;
}

Entries from_text(const std::string& text, const std::string& name) {
    Entries entries;
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        const auto end = line.find_first_of(" \t", start);
        std::string type = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::string description;
        if (end != std::string::npos) {
            const auto text_start = line.find_first_not_of(" \t", end);
            if (text_start != std::string::npos) description = line.substr(text_start);
        }
        if (core::has_control_chars(description)) {
            throw ConfigError(name + ":" + std::to_string(number) + ": control characters in the description");
        }
        description.erase(description.find_last_not_of(" \t") + 1);
        entries.push_back({std::move(type), std::move(description), name + ":" + std::to_string(number)});
    }
    return entries;
}

}  // namespace

void add_event_catalogue_file(core::EventCatalogue& catalogue, const std::filesystem::path& file) {
    const std::string name = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(name + ": cannot read the event catalogue ([events] catalogue)");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.size() > max_catalogue_bytes) throw ConfigError(name + ": larger than 4 MiB; is this the right file?");
    const auto first = text.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && (text[first] == '[' || text[first] == '{');
    Entries entries = json ? from_json(text, name) : from_text(text, name);
    // Check every entry before adding any.
    for (const auto& entry : entries) {
        try {
            core::validate_event_type(entry.type);
        } catch (const ValidationError& e) {
            throw ConfigError(entry.where + ": " + e.what());
        }
    }
    for (auto& entry : entries) catalogue.add(entry.type, std::move(entry.description));
}

}  // namespace notify::config
