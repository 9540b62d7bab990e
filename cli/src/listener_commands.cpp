// notify listener {amqp,email,http} {create,update}, listener list, listener delete.
#include <iostream>
#include <map>

#include "commands.hpp"
#include "listener_format.hpp"
#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "notify/core/text.hpp"
#include "notify/handlers/amqp/amqp.hpp"

namespace notify::cli {

namespace {

// A text option that becomes one listener setting.
struct TextSetting {
    const char* flag;
    const char* key;
    const char* help;
    bool required;  // on create
};

const std::map<std::string, std::vector<TextSetting>> kind_settings{
    {"amqp", {{"--exchange", "exchange", "Topic exchange (default: [messaging] topic_exchange); created when missing", false}}},
    {"email",
     {{"--subject", "subject", "Subject template: {type} {id} {time} {source} {effective} {data.NAME}", true},
      {"--addresses", "addresses", "Recipients, comma-separated: a@example.com,b@example.com", true}}},
    {"http",
     {{"--url", "url", "http:// or https:// URL each event is POSTed to", true},
      {"--username", "username", "HTTP basic auth user", false},
      {"--password", "password", "HTTP basic auth password ('-' reads it from standard input)", false},
      {"--secret", "secret", "Signs each request with HMAC-SHA256 ('-' reads it from standard input)", false}}},
};

struct ListenerArgs {
    std::string id;
    std::vector<std::string> event_types;
    std::string format;
    bool delay = false;
    bool no_delay = false;
    std::vector<std::string> headers;
    std::map<std::string, std::pair<CLI::Option*, std::string>> texts;  // setting key -> option, value
};

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
ListenerArgs resolve_stdin(const ListenerArgs& given, const std::vector<TextSetting>& settings) {
    ListenerArgs args = given;
    std::vector<std::pair<std::string, std::string*>> readers;  // flag, value to fill
    for (const auto& setting : settings) {
        auto& [option, value] = args.texts.at(setting.key);
        if (option->count() > 0 && value == "-") readers.emplace_back(setting.flag, &value);
    }
    for (auto& h : args.headers) {
        const auto colon = h.find(':');
        if (colon == std::string::npos) continue;  // apply() names the mistake
        std::string value = h.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        if (value == "-") readers.emplace_back("--header '" + h.substr(0, colon) + ": '", &h);
    }
    if (readers.size() > 1) {
        throw ValidationError("only one option can read standard input, not " + readers[0].first + " - and " +
                              readers[1].first + " -");
    }
    if (readers.size() == 1) {
        auto& [flag, target] = readers.front();
        const std::string line = read_stdin_line(flag);
        if (flag.rfind("--header", 0) == 0) {
            *target = target->substr(0, target->find(':')) + ": " + line;
        } else {
            *target = line;
        }
    }
    return args;
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
            std::string known;
            for (const auto& f : formats) known += (known.empty() ? "" : ", ") + f;
            throw ValidationError("--format " + core::quote_text(args.format) + ": expected one of " + known);
        }
        l.format = args.format;
    }
    if (args.delay) l.delay_until_effective = true;
    if (args.no_delay) l.delay_until_effective = false;
    for (const auto& setting : kind_settings.at(l.kind)) {
        const auto& [option, value] = args.texts.at(setting.key);
        if (option->count() == 0) continue;
        if (value.empty() && create) throw ValidationError(std::string(setting.flag) + " must not be empty");
        if (value.empty()) {
            l.settings.erase(setting.key);
        } else {
            l.settings[setting.key] = value;
        }
    }
    if (!args.headers.empty()) {
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& h : args.headers) {
            const auto colon = h.find(':');
            if (colon == std::string::npos || colon == 0) {
                throw ValidationError("--header " + core::quote_text(h) + ": expected 'Name: value'");
            }
            std::string value = h.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            headers[h.substr(0, colon)] = value;
        }
        l.settings["headers"] = headers;
    }
}

// Patterns that match no well-known type are fine (hosts register their own), but worth a word.
void warn_unknown_patterns(const Context& context, const core::Listener& l) {
    const auto catalogue = core::EventCatalogue::with_well_known();
    for (const auto& p : l.event_types) {
        if (catalogue.matching(p).empty()) {
            context.warn("event type " + core::quote_text(p.text()) +
                         " matches no well-known event type (fine if a host registers it)");
        }
    }
}

void report(Context& context, const core::Listener& l, const char* verb) {
    if (context.json) {
        context.print_json(core::to_json(l));
    } else {
        context.out << verb << " " << l.kind << " listener " << l.id << '\n';
        print_listener(context.out, l);
    }
}

// `listener amqp create/update`: the exchange exists (as a topic exchange) before the
// listener is stored. An exchange the broker refuses (another type, refused credentials, an
// unknown vhost) refuses the listener; an unreachable broker only warns, since the handler
// makes the exchange before its first publish.
void check_exchange(Context& context, const core::Listener& l) {
    const auto messaging = context.section("messaging");
    const std::string exchange = l.settings.value("exchange", messaging.value("topic_exchange", std::string("amq.topic")));
    try {
        handlers::amqp::ensure_exchange(messaging, exchange);
    } catch (const handlers::amqp::ExchangeRefused& e) {
        throw ValidationError(std::string(e.what()) + "; nothing was stored");
    } catch (const Error& e) {
        context.warn("exchange '" + exchange + "' not checked now (" + e.what() +
                     "); it is created before the first publish");
    }
}

// The hint for a listener of another kind than the command's.
std::string other_kind(Context& context, const core::Listener& l) {
    std::string message = "listener " + l.id + " is of kind '" + l.kind + "'";
    if (context.handlers()->find(l.kind) != nullptr && kind_settings.count(l.kind) != 0) {
        return message + "; use: notify listener " + l.kind + " update --listener-id " + l.id;
    }
    return message + ", and this notify has no " + l.kind +
           " handler to change it with; it can only be deleted (notify listener delete --listener-id " + l.id + ")";
}

void add_kind(CLI::App& listener, Context& context, Action& action, const std::string& kind) {
    auto* group = listener.add_subcommand(kind, "Listeners delivering through the " + kind + " handler");
    group->require_subcommand(1);
    for (const bool create : {true, false}) {
        auto args = std::make_shared<ListenerArgs>();
        auto* cmd = group->add_subcommand(create ? "create" : "update",
                                          create ? "Create a " + kind + " listener" : "Change a " + kind + " listener");
        if (!create) cmd->add_option("--listener-id", args->id, "The listener to change")->required();
        auto* types = cmd->add_option("--event-type", args->event_types,
                                      "Event type or pattern (* and # wildcards; '*' alone = every event); repeatable");
        if (create) types->required();
        cmd->add_option("--format", args->format, "cloudevents (default), data or pulp");
        cmd->add_flag("--delay-until-effective", args->delay, "Hold each event until its effective time");
        cmd->add_flag("--no-delay-until-effective", args->no_delay, "Deliver at once, whatever the effective time");
        for (const auto& s : kind_settings.at(kind)) {
            auto& slot = args->texts[s.key];
            slot.first = cmd->add_option(s.flag, slot.second, s.help);
            if (create && s.required) slot.first->required();
        }
        if (kind == "http") cmd->add_option("--header", args->headers, "Extra header 'Name: value'; repeatable");
        cmd->callback([&context, &action, args, kind, create] {
            action = [&context, args, kind, create] {
                if (args->delay && args->no_delay) {
                    throw ValidationError("--delay-until-effective and --no-delay-until-effective exclude each other");
                }
                const auto& factory = context.handlers()->get(kind);
                const auto section = context.section(factory.config_section());
                const ListenerArgs given = resolve_stdin(*args, kind_settings.at(kind));
                core::ListenerStore store(context.settings().store().path, context.log());
                const bool exchange_given = kind == "amqp" && given.texts.at("exchange").first->count() > 0;
                // Everything is checked on a copy first (the broker asked, outside any store
                // transaction); the change itself is applied to what is stored at that moment.
                const auto change = [&](core::Listener& l) {
                    if (l.kind != kind) throw ValidationError(other_kind(context, l));
                    apply(l, given, factory, create);
                    factory.validate(l, section);
                };
                core::Listener draft;
                if (create) {
                    draft.kind = kind;
                    draft.format = factory.formats().front();
                } else {
                    draft = store.get(args->id);
                }
                change(draft);
                if (kind == "amqp" && (create || exchange_given)) check_exchange(context, draft);
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
    for (const auto& [kind, unused] : kind_settings) add_kind(*listener, context, action, kind);

    auto* list = listener->add_subcommand("list", "List listeners (secrets masked)");
    list->callback([&] {
        action = [&] {
            const auto listeners = core::ListenerStore(context.settings().store().path).list();
            if (context.json) {
                nlohmann::json all = nlohmann::json::array();
                for (const auto& l : listeners) all.push_back(core::to_json(l));
                context.print_json(all);
            } else {
                print_listener_table(context.out, listeners);
            }
            return exit_ok;
        };
    });

    auto id = std::make_shared<std::string>();
    auto* remove = listener->add_subcommand("delete", "Delete a listener");
    remove->add_option("--listener-id", *id, "The listener to delete")->required();
    remove->callback([&context, &action, id] {
        action = [&context, id] {
            core::ListenerStore store(context.settings().store().path);
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
