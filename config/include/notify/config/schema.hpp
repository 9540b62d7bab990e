// The server.conf schema: every section and key notify knows, with type, default and help.
// One table drives validation, "did you mean" suggestions, environment names and the docs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace notify::config {

enum class ValueType {
    string,    // any single-line text
    name,      // 1-255 bytes of letters, digits, '-', '_', '.', ':' (exchange names, ...)
    boolean,   // true/false, yes/no, on/off, 1/0
    integer,   // whole number within [min, max]
    duration,  // "<n>ms", "<n>s", "<n>m", "<n>h", "<n>d"; a bare number is seconds; [min, max] in ms
    choice,    // one of `choices`
    url,       // scheme://host[:port][/path] with a scheme from `choices`; may be empty
    url_list,  // comma-separated urls (indented continuation lines also separate)
    path,      // a file system path
};

struct KeySpec {
    std::string name;
    ValueType type;
    std::string default_text;  // as it would be written in server.conf
    std::string description;
    bool secret = false;       // never shown: masked in every output and error
    std::int64_t min = 0;      // integer bounds; duration bounds in milliseconds
    std::int64_t max = 0;
    std::vector<std::string> choices;  // choice values, or URL schemes
};

struct SectionSpec {
    std::string name;
    std::string description;
    std::vector<KeySpec> keys;

    const KeySpec* find(std::string_view key) const noexcept;
};

// Not synchronised: build it before loading and share it as const.
class Schema {
public:
    // [messaging], [email], [http], [store] and [delivery].
    static Schema builtin();

    // Adds a section (a plugin's own). Throws notify::ConfigError when the name is taken.
    void add_section(SectionSpec section);

    const SectionSpec* find(std::string_view section) const noexcept;
    const std::vector<SectionSpec>& sections() const noexcept { return sections_; }

private:
    std::vector<SectionSpec> sections_;
};

// NOTIFY_<SECTION>__<KEY>, e.g. NOTIFY_MESSAGING__TOPIC_EXCHANGE.
std::string environment_name(std::string_view section, std::string_view key);

std::string_view to_string(ValueType type) noexcept;

}  // namespace notify::config
