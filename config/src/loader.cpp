// Finding, reading and overriding server.conf.
#include "notify/config/loader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "ini_reader.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "values.hpp"

namespace notify::config {

namespace {

constexpr std::size_t max_config_bytes = 1 << 20;

struct Written {
    std::string text;
    std::string origin;
    int line = 0;  // 0 for the environment
};

// What the file and the environment set, before typing.
using WrittenValues = std::map<std::string, std::map<std::string, Written, std::less<>>, std::less<>>;

std::vector<std::string> section_names(const Schema& schema) {
    std::vector<std::string> out;
    for (const auto& s : schema.sections()) out.push_back(s.name);
    return out;
}

std::vector<std::string> key_names(const SectionSpec& spec) {
    std::vector<std::string> out;
    for (const auto& k : spec.keys) out.push_back(k.name);
    return out;
}

std::string unknown_section(const Schema& schema, std::string_view section) {
    const std::string hint = core::closest_match(section, section_names(schema));
    if (!hint.empty()) return "unknown section [" + std::string(section) + "]; did you mean [" + hint + "]?";
    if (schema.handler_kinds().empty()) return "unknown section [" + std::string(section) + "]";
    std::string installed;
    for (const auto& kind : schema.handler_kinds()) installed += (installed.empty() ? "" : ", ") + kind;
    return "section [" + std::string(section) + "] belongs to no installed plugin; installed: " + installed;
}

std::string unknown_key(const Schema& schema, const SectionSpec& spec, std::string_view key,
                        bool environment) {
    std::string message = "unknown key " + core::quote_text(key) + " in [" + spec.name + "]";
    const std::string hint = core::closest_match(key, key_names(spec));
    if (!hint.empty()) {
        message += "; did you mean " + core::quote_text(hint);
        if (environment) message += " (" + environment_name(spec.name, hint) + ")";
        return message + "?";
    }
    for (const auto& other : schema.sections()) {
        if (other.find(key) != nullptr) {
            return message + "; it belongs in [" + other.name + "]";
        }
    }
    return message;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(path.string() + ": cannot read: " + std::strerror(errno));
    }
    std::string text;
    text.resize(max_config_bytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw ConfigError(path.string() + ": cannot read: " + std::strerror(errno));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_config_bytes) {
        throw ConfigError(path.string() + ": larger than 1 MiB; is this the right file?");
    }
    return text;
}

void read_file_values(std::string_view text, const std::string& file, const Schema& schema,
                      WrittenValues& written) {
    std::map<std::string, int, std::less<>> section_first_line;
    std::string last_section;
    std::string last_key;
    detail::read_ini(text, file, [&](const detail::IniEntry& e) -> std::string {
        if (e.section.empty()) return "key " + core::quote_text(e.key) + " is outside any [section]";
        const SectionSpec* spec = schema.find(e.section);
        if (spec == nullptr) return unknown_section(schema, e.section);
        if (e.section != last_section) {
            const auto [it, fresh] = section_first_line.emplace(std::string(e.section), e.line);
            if (!fresh) {
                return "section [" + std::string(e.section) + "] appears twice (first used at line " +
                       std::to_string(it->second) + ")";
            }
            last_section = e.section;
            last_key.clear();
        }
        const KeySpec* key = spec->find(e.key);
        if (key == nullptr) return unknown_key(schema, *spec, e.key, false);
        auto& values = written[spec->name];
        if (e.continuation && e.key == last_key) {
            if (key->type != ValueType::url_list) {
                return "an indented line continues " + core::quote_text(e.key) +
                       ", but only lists may span lines; remove the indentation to start a new key";
            }
            values[key->name].text += "\n" + std::string(e.value);
            return {};
        }
        if (const auto it = values.find(e.key); it != values.end()) {
            return "[" + spec->name + "] " + key->name + " is set twice (first at line " +
                   std::to_string(it->second.line) + ")";
        }
        last_key = e.key;
        values[key->name] = Written{std::string(e.value), file + ":" + std::to_string(e.line), e.line};
        return {};
    });
}

void read_environment(const Environment& env, const Schema& schema, WrittenValues& written) {
    for (const auto& [name, value] : env.vars) {
        if (name.rfind("NOTIFY_", 0) != 0) continue;
        const auto split = name.find("__");
        if (split == std::string::npos) continue;  // NOTIFY_CONFIG and friends
        std::string section = name.substr(7, split - 7);
        std::string key = name.substr(split + 2);
        for (char& c : section) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::string where = "environment variable " + name;
        const SectionSpec* spec = schema.find(section);
        if (spec == nullptr) throw ConfigError(where + ": " + unknown_section(schema, section));
        if (spec->find(key) == nullptr) {
            throw ConfigError(where + ": " + unknown_key(schema, *spec, key, true));
        }
        written[section][key] = Written{value, name, 0};
    }
}

Section::Entry typed_entry(const SectionSpec& section, const KeySpec& key, const Written& w) {
    try {
        return {detail::parse_value(key, w.text), w.origin};
    } catch (const detail::ValueProblem& problem) {
        const std::string where =
            w.line > 0 ? w.origin : "environment variable " + w.origin;
        throw ConfigError(where + ": [" + section.name + "] " + key.name + " = " +
                          core::quote_text(detail::display_text(key, w.text)) + ": " + problem.what());
    }
}

Settings build(const Schema& schema, const WrittenValues& written,
               std::optional<std::filesystem::path> file) {
    std::vector<Section> sections;
    for (const auto& spec : schema.sections()) {
        std::map<std::string, Section::Entry, std::less<>> entries;
        const auto section_it = written.find(spec.name);
        for (const auto& key : spec.keys) {
            const Written* w = nullptr;
            if (section_it != written.end()) {
                const auto it = section_it->second.find(key.name);
                if (it != section_it->second.end()) w = &it->second;
            }
            if (w == nullptr) {
                entries.emplace(key.name, Section::Entry{detail::parse_value(key, key.default_text), "default"});
            } else {
                entries.emplace(key.name, typed_entry(spec, key, *w));
            }
        }
        sections.emplace_back(spec, std::move(entries));
    }
    Settings settings(std::move(sections), std::move(file));
    if (schema.find("delivery") != nullptr) {
        const auto& d = settings.section("delivery");
        if (d.duration("backoff_initial") > d.duration("backoff_max")) {
            throw ConfigError(d.origin("backoff_initial") + ": [delivery] backoff_initial is longer than backoff_max (" +
                              d.origin("backoff_max") + ")");
        }
        const auto workers = d.integer("workers");
        const auto concurrency = d.integer("listener_concurrency");
        if (d.origin("listener_concurrency") != "default" && workers > 1 && concurrency >= workers) {
            throw ConfigError(d.origin("listener_concurrency") + ": [delivery] listener_concurrency (" +
                              std::to_string(concurrency) + ") must be lower than workers (" + std::to_string(workers) +
                              ", " + d.origin("workers") + "), or one stuck listener could hold every worker");
        }
    }
    if (schema.find("store") != nullptr) {
        const auto& s = settings.section("store");
        if (!s.string("url").empty() && s.origin("path") != "default") {
            throw ConfigError(s.origin("path") + ": [store] path and [store] url (" + s.origin("url") +
                              ") name two different stores; keep one");
        }
        if (!s.string("url").empty() && s.string("schema").empty()) {
            throw ConfigError(s.origin("schema") + ": [store] schema is empty; notify's tables need a schema");
        }
        const std::string& name = s.string("schema");
        const bool plain = !name.empty() && name.size() <= 63 && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                           });
        if (!s.string("url").empty() && !plain) {
            throw ConfigError(s.origin("schema") + ": [store] schema = " + core::quote_text(name) +
                              ": expected 1 to 63 of a-z, 0-9 and _, not starting with a digit");
        }
    }
    return settings;
}

struct WrittenSecret {
    std::string section;
    std::string key;
    const Written* written = nullptr;
    bool url = false;  // a URL with a password in it, not a secret key
};

// True when one of the comma- or line-separated URLs in `text` carries a password.
bool has_url_password(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find_first_of(",\n", start), text.size());
        const auto url = text.substr(start, end - start);
        if (mask_url_password(url) != url) return true;
        start = end + 1;
    }
    return false;
}

// The first secret the file itself holds: a secret key or a URL with a password.
std::optional<WrittenSecret> first_secret(const Schema& schema, const WrittenValues& written) {
    for (const auto& [section, values] : written) {
        const SectionSpec* spec = schema.find(section);
        for (const auto& [key, w] : values) {
            const KeySpec* k = spec != nullptr ? spec->find(key) : nullptr;
            if (k == nullptr || w.line == 0 || w.text.empty()) continue;
            const bool url = k->type == ValueType::url || k->type == ValueType::url_list;
            if (k->secret) return WrittenSecret{section, key, &w, false};
            if (url && has_url_password(w.text)) return WrittenSecret{section, key, &w, true};
        }
    }
    return std::nullopt;
}

// As fetchmail does for .fetchmailrc: a file that users other than its owner can change
// is refused, and so is one they can read when it holds a password.
void check_file_mode(const std::filesystem::path& file, const Schema& schema, const WrittenValues& written) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        throw ConfigError(file.string() + ": users other than its owner can change it (mode " + mode +
                          "); make it writable by its owner only: chmod go-w " + file.string());
    }
    const auto secret = first_secret(schema, written);
    if (secret && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        throw ConfigError(secret->written->origin + ": [" + secret->section + "] " + secret->key +
                          (secret->url ? " holds a password" : " is a secret") + ", but users other than the owner of " +
                          file.string() + " can read the file (mode " + mode + "); chmod 600 " + file.string() +
                          ", or set it in the environment (" + environment_name(secret->section, secret->key) + ")");
    }
}

}  // namespace

Environment Environment::from_process() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos) continue;
        env.vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

const std::string* Environment::get(std::string_view name) const {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : &it->second;
}

std::optional<std::filesystem::path> resolve_config_path(
    const std::optional<std::filesystem::path>& explicit_path, const Environment& env,
    const std::filesystem::path& default_path) {
    const auto must_exist = [](const std::filesystem::path& path, const std::string& named_by) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            throw ConfigError(path.string() + ": no such file (named by " + named_by + ")");
        }
        return path;
    };
    if (explicit_path) return must_exist(*explicit_path, "--config");
    if (const auto* from_env = env.get("NOTIFY_CONFIG"); from_env != nullptr && !from_env->empty()) {
        return must_exist(*from_env, "NOTIFY_CONFIG");
    }
    std::error_code ec;
    if (std::filesystem::exists(default_path, ec)) return default_path;
    return std::nullopt;
}

Settings parse(std::string_view text, std::string_view file_name, const Environment& env,
               const Schema& schema) {
    WrittenValues written;
    read_file_values(text, std::string(file_name), schema, written);
    read_environment(env, schema, written);
    return build(schema, written, std::filesystem::path(file_name));
}

Settings load(const std::optional<std::filesystem::path>& file, const Environment& env,
              const Schema& schema) {
    WrittenValues written;
    if (file) {
        read_file_values(read_file(*file), file->string(), schema, written);
        check_file_mode(*file, schema, written);
    }
    read_environment(env, schema, written);
    return build(schema, written, file);
}

std::vector<std::filesystem::path> plugin_folders(const std::optional<std::filesystem::path>& file,
                                                  const Environment& env) {
    std::string text;
    std::filesystem::path base = std::filesystem::current_path();
    if (file) {
        base = std::filesystem::absolute(*file).parent_path();
        try {
            detail::read_ini(read_file(*file), file->string(), [&](const detail::IniEntry& e) -> std::string {
                if (e.section == "plugins" && e.key == "path") text = std::string(e.value);
                return {};
            });
        } catch (const ConfigError&) {
            // load() reports what is wrong with the file; the folders named before it count.
        }
    }
    if (const auto* from_env = env.get("NOTIFY_PLUGINS__PATH"); from_env != nullptr) {
        text = *from_env;
        base = std::filesystem::current_path();
    }
    std::vector<std::filesystem::path> folders;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find(',', start), text.size());
        std::string item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            std::filesystem::path folder(item);
            folders.push_back(folder.is_absolute() ? folder : base / folder);
        }
        start = end + 1;
    }
    return folders;
}

}  // namespace notify::config
