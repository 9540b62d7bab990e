// notify listener <kind> {create,update} for every loaded handler kind, with the options its
// listener settings describe; listener list, listener delete.
#include <algorithm>
#include <charconv>
#include <iostream>
#include <optional>
#include <set>

#include "commands.hpp"
#include "listener_format.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/text.hpp"

namespace notify::cli {

namespace {

using core::ListenerSetting;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

struct SettingArg {
    ListenerSetting setting;
    CLI::Option* option = nullptr;
    std::vector<std::string> values;  // one for Shape::text
};

struct ListenerArgs {
    std::string id;
    std::vector<std::string> event_types;
    std::string format;
    bool delay = false;
    bool no_delay = false;
    std::optional<std::string> filter;  // --filter PROGRAM
    bool no_filter = false;
    std::optional<std::string> transform;  // --transform PROGRAM
    bool no_transform = false;
    std::optional<std::string> rate;  // --rate N/s
    bool no_rate = false;
    std::optional<std::string> digest;  // --digest DURATION
    bool no_digest = false;
    std::optional<std::string> max_mails;  // --max-mails-per-hour N
    std::vector<SettingArg> settings;  // in the handler's order
};

// "Name: value" split at the first colon (or "NAME=VALUE" at the first '='), the value
// without leading blanks; nullopt without the separator or a name.
std::optional<std::pair<std::string, std::string>> split_name_value(const std::string& text, char separator = ':') {
    const auto at = text.find(separator);
    if (at == std::string::npos || at == 0) return std::nullopt;
    std::string value = text.substr(at + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return std::make_pair(text.substr(0, at), value);
}

// One line of standard input for the option `flag`; an empty line is refused.
std::string read_stdin_line(const std::string& flag) {
    std::string line;
    if (!std::getline(std::cin, line)) throw ValidationError(flag + " -: nothing on standard input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw ValidationError(flag + " -: standard input gave an empty line");
    return line;
}

// The options with '-' values replaced by a line of standard input, so secrets stay out of
// the process list and the shell history. Read before any store transaction starts; only
// one option may read it.
ListenerArgs resolve_stdin(const ListenerArgs& given) {
    ListenerArgs args = given;
    std::vector<std::pair<std::string, std::string*>> readers;  // flag, value to fill
    for (auto& arg : args.settings) {
        if (!arg.setting.from_stdin || arg.option->count() == 0) continue;
        for (auto& value : arg.values) {
            if (arg.setting.shape == ListenerSetting::Shape::name_value) {
                const auto split = split_name_value(value);
                if (split && split->second == "-") readers.emplace_back(arg.setting.flag + " '" + split->first + ": '", &value);
            } else if (value == "-") {
                readers.emplace_back(arg.setting.flag, &value);
            }
        }
    }
    if (readers.size() > 1) {
        throw ValidationError("only one option can read standard input, not " + readers[0].first + " - and " +
                              readers[1].first + " -");
    }
    if (readers.size() == 1) {
        auto& [flag, target] = readers.front();
        const std::string line = read_stdin_line(flag);
        if (const auto split = split_name_value(*target); split && flag.find('\'') != std::string::npos) {
            *target = split->first + ": " + line;
        } else {
            *target = line;
        }
    }
    return args;
}

// The jq program given to --NAME: not empty, and compiling (jq's message names the flag).
std::string checked_program(const std::string& name, const std::string& program, void (*validate)(const std::string&)) {
    if (program.empty()) throw ValidationError("--" + name + " must not be empty (--no-" + name + " removes one)");
    try {
        validate(program);
    } catch (const ValidationError& e) {
        throw ValidationError("--" + name + ": " + e.what());
    }
    return program;
}

// Applies the options given on the command line to `l`; an empty value removes a setting.
void apply(core::Listener& l, const ListenerArgs& args, const core::HandlerFactory& factory, bool create) {
    if (!args.event_types.empty()) {
        l.event_types.clear();
        for (const auto& t : args.event_types) {
            try {
                l.event_types.emplace_back(t);
            } catch (const ValidationError& e) {
                throw ValidationError(std::string("--event-type: ") + e.what());
            }
        }
    }
    if (!args.format.empty()) {
        const auto formats = factory.formats();
        if (std::find(formats.begin(), formats.end(), args.format) == formats.end()) {
            throw ValidationError("--format " + core::quote_text(args.format) + ": expected one of " + join(formats));
        }
        l.format = args.format;
    }
    if (args.delay) l.delay_until_effective = true;
    if (args.no_delay) l.delay_until_effective = false;
    if (args.filter) l.filter = checked_program("filter", *args.filter, core::validate_filter);
    if (args.no_filter) l.filter.clear();
    if (args.transform) l.transform = checked_program("transform", *args.transform, core::validate_transform);
    if (args.no_transform) l.transform.clear();
    if (args.rate) {
        try {
            if (args.rate->empty()) throw ValidationError("must not be empty (--no-rate removes one)");
            l.rate = core::parse_rate(*args.rate);
        } catch (const ValidationError& e) {
            throw ValidationError(std::string("--rate: ") + e.what());
        }
    }
    if (args.no_rate) l.rate = {};
    if (args.digest) {
        try {
            l.digest = config::parse_duration(*args.digest, core::min_digest, core::max_digest);
        } catch (const ValidationError& e) {
            throw ValidationError("--digest " + core::quote_text(*args.digest) + ": " + e.what());
        }
    }
    if (args.no_digest) l.digest = std::chrono::milliseconds(0);
    if (args.max_mails) {
        const std::string& text = *args.max_mails;
        int n = -1;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0 ||
            n > core::max_mails_per_hour_limit) {
            throw ValidationError("--max-mails-per-hour " + core::quote_text(text) + ": expected a whole number from 0 (no limit) to " +
                                  std::to_string(core::max_mails_per_hour_limit));
        }
        l.max_mails_per_hour = n;
    }
    for (const auto& arg : args.settings) {
        if (arg.option->count() == 0) continue;
        const auto& setting = arg.setting;
        const bool cleared = arg.values.size() == 1 && arg.values.front().empty();
        if (cleared && create) throw ValidationError(setting.flag + " must not be empty");
        if (cleared) {
            l.settings.erase(setting.key);
            continue;
        }
        for (const auto& value : arg.values) {
            if (!setting.choices.empty() &&
                std::find(setting.choices.begin(), setting.choices.end(), value) == setting.choices.end()) {
                throw ValidationError(setting.flag + " " + core::quote_text(value) + ": expected one of " +
                                      join(setting.choices));
            }
        }
        switch (setting.shape) {
            case ListenerSetting::Shape::text:
                l.settings[setting.key] = arg.values.back();
                break;
            case ListenerSetting::Shape::list:
                l.settings[setting.key] = arg.values;
                break;
            case ListenerSetting::Shape::name_value:
            case ListenerSetting::Shape::key_value: {
                const bool colon = setting.shape == ListenerSetting::Shape::name_value;
                nlohmann::json map = nlohmann::json::object();
                std::set<std::string> seen;  // header names compare without case, as HTTP does
                for (const auto& value : arg.values) {
                    const auto split = split_name_value(value, colon ? ':' : '=');
                    if (!split) {
                        throw ValidationError(setting.flag + " " + core::quote_text(value) + ": expected " +
                                              (colon ? "'Name: value'" : "NAME=VALUE"));
                    }
                    std::string name = split->first;
                    if (colon) {
                        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    }
                    if (!seen.insert(name).second) {
                        throw ValidationError(setting.flag + " gives " + core::quote_text(split->first) +
                                              " twice; give each name once");
                    }
                    map[split->first] = split->second;
                }
                l.settings[setting.key] = map;
                break;
            }
        }
    }
}

// Settings the plugin declares secret are masked whatever its validate() listed.
void mark_secrets(core::Listener& l, const std::vector<ListenerSetting>& settings) {
    const auto add = [&](const std::string& key) {
        if (std::find(l.secret_keys.begin(), l.secret_keys.end(), key) == l.secret_keys.end()) l.secret_keys.push_back(key);
    };
    for (const auto& setting : settings) {
        if (!setting.secret || !l.settings.contains(setting.key)) continue;
        const auto& value = l.settings.at(setting.key);
        if (setting.shape != ListenerSetting::Shape::text && value.is_object()) {
            for (const auto& [name, unused] : value.items()) {
                add((nlohmann::json::json_pointer() / setting.key / name).to_string());
            }
        } else {
            add(setting.key);
        }
    }
}

// Patterns that match no well-known type are fine (hosts register their own), but worth a word.
void warn_unknown_patterns(Context& context, const core::Listener& l) {
    const auto catalogue = context.catalogue();
    for (const auto& p : l.event_types) {
        if (catalogue.matching(p).empty()) {
            context.warn("event type " + core::quote_text(p.text()) +
                         " matches no known event type (fine if a host registers it; list the host's types in "
                         "[events] catalogue)");
        }
    }
}

// What a listener follows from server.conf because it does not set it itself.
DefaultsOf defaults_of(Context& context) {
    return [&context](const core::Listener& l) {
        std::vector<std::pair<std::string, std::string>> out;
        const auto* factory = context.handlers()->find(l.kind);
        if (factory == nullptr) return out;
        std::optional<nlohmann::json> section;
        for (const auto& setting : factory->listener_settings()) {
            if (setting.default_from.empty() || l.settings.contains(setting.key)) continue;
            if (!section) section = context.section(factory->config_section());
            const auto value = section->value(setting.default_from, nlohmann::json());
            if (!value.is_null()) out.emplace_back(setting.key, value.is_string() ? value.get<std::string>() : value.dump());
        }
        return out;
    };
}

// The listener as JSON, with "defaults": {key: value} for what it follows from server.conf.
nlohmann::json listener_json(Context& context, const core::Listener& l) {
    auto j = core::to_json(l);
    nlohmann::json defaults = nlohmann::json::object();
    for (const auto& [key, value] : defaults_of(context)(l)) defaults[key] = value;
    if (!defaults.empty()) j["defaults"] = defaults;
    return j;
}

void report(Context& context, const core::Listener& l, const char* verb) {
    if (context.json) {
        context.print_json(listener_json(context, l));
    } else {
        context.out << verb << " " << l.kind << " listener " << l.id << '\n';
        print_listener(context.out, l, defaults_of(context));
    }
}

// The hint for a listener of another kind than the command's.
std::string other_kind(Context& context, const core::Listener& l) {
    std::string message = "listener " + l.id + " is of kind '" + l.kind + "'";
    if (context.handlers()->find(l.kind) != nullptr) {
        return message + "; use: notify listener " + l.kind + " update --listener-id " + l.id;
    }
    return message + ", and this notify has no " + l.kind +
           " handler to change it with; it can only be deleted (notify listener delete --listener-id " + l.id + ")";
}

void add_kind(CLI::App& listener, Context& context, Action& action, const core::HandlerFactory& factory) {
    const std::string kind(factory.kind());
    auto* group = listener.add_subcommand(kind, "Listeners delivering through the " + kind + " handler");
    group->require_subcommand(1);
    const auto formats = factory.formats();
    for (const bool create : {true, false}) {
        auto args = std::make_shared<ListenerArgs>();
        auto* cmd = group->add_subcommand(create ? "create" : "update",
                                          create ? "Create a " + kind + " listener" : "Change a " + kind + " listener");
        if (!create) cmd->add_option("--listener-id", args->id, "The listener to change")->required();
        auto* types = cmd->add_option("--event-type", args->event_types,
                                      "Event type or pattern (* and # wildcards; '*' alone = every event); repeatable");
        if (create) types->required();
        if (!formats.empty()) {
            const auto spec = factory.section_spec();
            const bool configurable = std::any_of(spec.keys.begin(), spec.keys.end(),
                                                  [](const core::KeySpec& k) { return k.name == "default_format"; });
            cmd->add_option("--format", args->format,
                            join(formats) + " (default " +
                                (configurable ? "[" + spec.name + "] default_format, else " : std::string()) +
                                formats.front() + ")");
        }
        cmd->add_flag("--delay-until-effective", args->delay, "Hold each event until its effective time");
        cmd->add_flag("--no-delay-until-effective", args->no_delay, "Deliver at once, whatever the effective time");
        cmd->add_option("--filter", args->filter,
                        "A jq program run on each matching event's JSON (type, id, time, effective, source, data): the "
                        "listener takes the event only when it gives true, e.g. '.data.repo_id == \"zoo\"'");
        if (!create) cmd->add_flag("--no-filter", args->no_filter, "Remove the listener's filter");
        cmd->add_option("--transform", args->transform,
                        "A jq program run on the same JSON at delivery: its first output becomes the message body "
                        "(content type application/json), e.g. '{repo: .data.repo_id, ok: (.data.result == \"success\")}'");
        if (!create) cmd->add_flag("--no-transform", args->no_transform, "Remove the listener's transform");
        cmd->add_option("--rate", args->rate,
                        "At most N deliveries a second (N/s) or a minute (N/min), bursts of up to N; the rest wait");
        if (!create) cmd->add_flag("--no-rate", args->no_rate, "Remove the listener's rate limit");
        if (factory.takes_digests()) {
            cmd->add_option("--digest", args->digest,
                            "Collect events for this long from the first (30s, 10m, 1h; 1s to 24h), then send one "
                            "message listing them all");
            if (!create) cmd->add_flag("--no-digest", args->no_digest, "One message per event again");
            cmd->add_option("--max-mails-per-hour", args->max_mails,
                            "At most N messages an hour; past it, events wait and go together in the next one "
                            "(0: no limit)");
        }
        for (const auto& setting : factory.listener_settings()) args->settings.push_back({setting, nullptr, {}});
        for (auto& arg : args->settings) {
            arg.option = cmd->add_option(arg.setting.flag, arg.values, arg.setting.help);
            if (arg.setting.shape == ListenerSetting::Shape::text) arg.option->expected(1);
            if (create && arg.setting.required) arg.option->required();
        }
        cmd->callback([&context, &action, args, kind, create, cmd] {
            // An update that names nothing to change is a mistake, not a success.
            const bool nothing = !create && cmd->get_options([](const CLI::Option* o) {
                                                 return o->count() > 0 && !o->check_lname("listener-id") &&
                                                        !o->check_lname("help");
                                             }).empty();
            action = [&context, args, kind, create, nothing] {
                if (args->delay && args->no_delay) {
                    throw ValidationError("--delay-until-effective and --no-delay-until-effective exclude each other");
                }
                if (args->filter && args->no_filter) throw ValidationError("--filter and --no-filter exclude each other");
                if (args->transform && args->no_transform) {
                    throw ValidationError("--transform and --no-transform exclude each other");
                }
                if (args->rate && args->no_rate) throw ValidationError("--rate and --no-rate exclude each other");
                if (args->digest && args->no_digest) throw ValidationError("--digest and --no-digest exclude each other");
                const auto& factory = context.handlers()->get(kind);
                const auto section = context.section(factory.config_section());
                const ListenerArgs given = resolve_stdin(*args);
                auto store = context.listener_store(context.log());
                // Everything is checked on a copy first (the handler's prepare() may ask a
                // broker, outside any store transaction); the change itself is applied to
                // what is stored at that moment.
                const auto change = [&](core::Listener& l) {
                    if (l.kind != kind) throw ValidationError(other_kind(context, l));
                    apply(l, given, factory, create);
                    factory.validate(l, section);
                    mark_secrets(l, factory.listener_settings());
                };
                core::Listener draft;
                std::optional<core::Listener> before;
                if (create) {
                    draft.kind = kind;
                    // The kind's section may name its own default ([messaging] default_format).
                    const auto formats = factory.formats();
                    const auto configured = section.value("default_format", std::string());
                    draft.format = !configured.empty() ? configured
                                   : formats.empty()   ? std::string(core::default_format)
                                                       : formats.front();
                } else {
                    before = store.get(args->id);
                    if (nothing) {
                        throw ValidationError("nothing to change: give at least one option besides --listener-id "
                                              "(see --help)");
                    }
                    draft = *before;
                }
                change(draft);
                factory.prepare(draft, before ? &*before : nullptr, section, context.log());
                const auto stored = create ? store.create(draft) : store.modify(args->id, change);
                warn_unknown_patterns(context, stored);
                report(context, stored, create ? "Created" : "Updated");
                return exit_ok;
            };
        });
    }
}

}  // namespace

void add_listener_commands(CLI::App& app, Context& context, Action& action) {
    auto* listener = app.add_subcommand("listener", "Create, change, list and delete listeners");
    listener->require_subcommand(1);
    const auto handlers = context.handlers();
    for (const auto& kind : handlers->kinds()) {
        // The group's own commands win; a plugin of such a kind still delivers.
        if (kind == "list" || kind == "show" || kind == "test" || kind == "delete" || kind == "explain") {
            context.warn("handler kind '" + kind + "' has the name of a listener command: `notify listener " + kind +
                         "` is that command, not the kind's");
            continue;
        }
        add_kind(*listener, context, action, handlers->get(kind));
    }

    auto* list = listener->add_subcommand("list", "List listeners (secrets masked)");
    list->callback([&] {
        action = [&] {
            const auto listeners = context.listener_store().list();
            if (context.json) {
                nlohmann::json all = nlohmann::json::array();
                for (const auto& l : listeners) all.push_back(listener_json(context, l));
                context.print_json(all);
            } else {
                print_listener_table(context.out, listeners, context.handlers()->kinds(), defaults_of(context));
            }
            return exit_ok;
        };
    });

    add_listener_explain_command(*listener, context, action);
    add_listener_check_commands(*listener, context, action, defaults_of(context),
                                [&context](const core::Listener& l) { return listener_json(context, l); });

    auto id = std::make_shared<std::string>();
    auto* remove = listener->add_subcommand("delete", "Delete a listener");
    remove->add_option("--listener-id", *id, "The listener to delete")->required();
    remove->callback([&context, &action, id] {
        action = [&context, id] {
            auto store = context.listener_store();
            const auto l = store.get(*id);
            store.remove(l.id);
            if (context.json) {
                context.print_json({{"deleted", l.id}});
            } else {
                context.out << "Deleted " << l.kind << " listener " << l.id << '\n';
            }
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
