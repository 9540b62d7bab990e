// What a handler declares about its settings: its server.conf section (keys, types,
// defaults, secrets, documentation) and its listener settings (the CLI flags that set them).
// Plain values: build them once and share them as const from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notify::core {

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
    address,   // IPV4:PORT or [IPV6]:PORT to listen on; may be empty (off)
};

std::string_view to_string(ValueType type) noexcept;

// One server.conf key. Its environment override is NOTIFY_<SECTION>__<KEY>.
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

// One server.conf section.
struct SectionSpec {
    std::string name;
    std::string description;
    std::vector<KeySpec> keys;

    const KeySpec* find(std::string_view key) const noexcept;
};

// One listener setting a handler takes, and the `notify listener <kind> create/update`
// option that sets it. The CLI stores the text given (an empty value on update removes the
// setting); the factory's validate() checks and normalises it.
struct ListenerSetting {
    enum class Shape {
        text,        // one value: settings[key] = "text"
        list,        // repeatable: settings[key] = ["a", "b"]
        name_value,  // repeatable 'Name: value': settings[key] = {"Name": "value"}
        key_value,   // repeatable 'NAME=VALUE': settings[key] = {"NAME": "VALUE"}
    };

    // ListenerSetting("--exchange", "exchange", "Topic exchange ...").mark_required()
    ListenerSetting(std::string flag, std::string key, std::string help)
        : flag(std::move(flag)), key(std::move(key)), help(std::move(help)) {}

    ListenerSetting& mark_required() {
        required = true;
        return *this;
    }
    ListenerSetting& mark_secret() {
        secret = true;
        return *this;
    }
    ListenerSetting& allow_stdin() {
        from_stdin = true;
        return *this;
    }
    ListenerSetting& with_shape(Shape s) {
        shape = s;
        return *this;
    }
    ListenerSetting& with_choices(std::vector<std::string> values) {
        choices = std::move(values);
        return *this;
    }
    // A listener without the setting follows this key of the handler's server.conf section
    // (read at delivery time); `listener list` shows it as "value (default)".
    ListenerSetting& with_default_from(std::string section_key) {
        default_from = std::move(section_key);
        return *this;
    }

    std::string flag;   // "--exchange"
    std::string key;    // "exchange"
    std::string help;   // one line for --help
    bool required = false;  // on create
    Shape shape = Shape::text;
    bool secret = false;      // masked in every output (validate() lists it in secret_keys)
    bool from_stdin = false;  // a value of '-' (for name_value: 'Name: -') reads one line of standard input
    std::vector<std::string> choices;  // when not empty, the only values accepted
    std::string default_from;          // the section key a listener without it follows
};

}  // namespace notify::core
