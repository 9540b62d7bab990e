// notify listen <kind>: print what listeners of that kind publish, for every loaded kind
// that can be listened to.
#include <chrono>

#include "commands.hpp"
#include "notify/core/error.hpp"
#include "notify/core/topic_pattern.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace notify::cli {

namespace {

struct ListenArgs {
    std::string kind;
    std::vector<std::pair<core::ListenerSetting, std::string>> options;  // the kind's listen settings
    std::vector<CLI::Option*> given;
    std::string subject = "#";
    bool quiet = false;
    long count = 0;      // 0: no limit
    double timeout = 0;  // 0: none
};

nlohmann::json as_json(const core::ReceivedMessage& m) {
    nlohmann::json body = nlohmann::json::parse(m.body, nullptr, false);
    if (body.is_discarded()) body = m.body;
    return {{"subject", m.subject}, {"message_id", m.message_id}, {"content_type", m.content_type}, {"body", body}};
}

int listen(Context& context, const ListenArgs& args) {
    if (args.count < 0) throw ValidationError("--count must be 0 or more");
    if (args.timeout < 0) throw ValidationError("--timeout must be 0 or more seconds");
    try {
        core::TopicPattern pattern(args.subject);
    } catch (const ValidationError& e) {
        throw ValidationError(std::string("--subject: ") + e.what());
    }
    const auto& factory = context.handlers()->get(args.kind);
    nlohmann::json options = nlohmann::json::object();
    for (std::size_t i = 0; i < args.options.size(); ++i) {
        if (args.given[i]->count() > 0) options[args.options[i].first.key] = args.options[i].second;
    }
    const auto section = context.section(factory.config_section());
    StopSignals signals;  // before the subscription starts its threads
    const auto subscription = factory.subscribe(section, options, args.subject);
    Progress progress(context.err, context.interactive());
    progress.show("listening on " + subscription->source() + " for " + args.subject + " (Ctrl-C to stop)...");
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::milliseconds(static_cast<long long>(args.timeout * 1000));
    nlohmann::json received = nlohmann::json::array();
    long count = 0;
    while (args.count == 0 || count < args.count) {
        if (args.timeout > 0 && std::chrono::steady_clock::now() >= deadline) break;
        if (signals.stop_requested()) break;
        const auto message = subscription->next(std::chrono::milliseconds(200));
        if (!message) continue;
        ++count;
        if (context.json) {
            received.push_back(as_json(*message));
            continue;
        }
        progress.clear();
        context.out << message->subject << '\n';
        if (!args.quiet) context.out << message->body << '\n';
        context.out.flush();
    }
    progress.clear();
    if (context.json) context.print_json(received);
    if (args.count > 0 && count < args.count) {
        throw CommandFailed("received " + std::to_string(count) + " of " + std::to_string(args.count) + " messages");
    }
    return exit_ok;
}

}  // namespace

void add_listen_command(CLI::App& app, Context& context, Action& action) {
    auto* listen_cmd = app.add_subcommand("listen", "Print what the listeners of a handler kind publish");
    listen_cmd->require_subcommand(1);
    const auto handlers = context.handlers();
    for (const auto& kind : handlers->kinds()) {
        const auto& factory = handlers->get(kind);
        if (!factory.can_listen()) continue;
        auto args = std::make_shared<ListenArgs>();
        args->kind = kind;
        auto* cmd = listen_cmd->add_subcommand(kind, "Print what " + kind + " listeners publish");
        for (const auto& setting : factory.listen_settings()) args->options.emplace_back(setting, std::string());
        for (auto& [setting, value] : args->options) args->given.push_back(cmd->add_option(setting.flag, value, setting.help));
        cmd->add_option("--subject", args->subject, "Subject (event type) pattern, * and # wildcards (default #)");
        cmd->add_flag("--quiet", args->quiet, "Print subjects only");
        cmd->add_option("--count", args->count, "Stop after N messages; exit 1 if fewer arrive before --timeout");
        cmd->add_option("--timeout", args->timeout, "Stop after SECONDS");
        cmd->callback([&context, &action, args] { action = [&context, args] { return listen(context, *args); }; });
    }
}

}  // namespace notify::cli
