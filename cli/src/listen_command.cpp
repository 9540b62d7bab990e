// notify listen: print what arrives on a topic exchange.
#include <chrono>

#include "commands.hpp"
#include "notify/core/error.hpp"
#include "notify/core/topic_pattern.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace notify::cli {

namespace {

struct ListenArgs {
    std::string exchange;
    std::string subject = "#";
    bool quiet = false;
    long count = 0;      // 0: no limit
    double timeout = 0;  // 0: none
};

nlohmann::json as_json(const handlers::amqp::ReceivedMessage& m) {
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
    const auto messaging = context.section("messaging");
    const std::string exchange = args.exchange.empty() ? messaging.value("topic_exchange", std::string("amq.topic")) : args.exchange;
    StopSignals signals;  // before the consumer starts its threads
    handlers::amqp::Consumer consumer(messaging, exchange, args.subject);
    Progress progress(context.err, context.interactive());
    progress.show("listening on exchange '" + exchange + "' for " + args.subject + " (Ctrl-C to stop)...");
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::milliseconds(static_cast<long long>(args.timeout * 1000));
    nlohmann::json received = nlohmann::json::array();
    long count = 0;
    while (args.count == 0 || count < args.count) {
        if (args.timeout > 0 && std::chrono::steady_clock::now() >= deadline) break;
        if (signals.stop_requested()) break;
        const auto message = consumer.next(std::chrono::milliseconds(200));
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
    auto args = std::make_shared<ListenArgs>();
    auto* listen_cmd = app.add_subcommand("listen", "Print the messages published to a topic exchange");
    listen_cmd->add_option("--exchange", args->exchange, "Exchange (default: [messaging] topic_exchange)");
    listen_cmd->add_option("--subject", args->subject, "Subject (routing key) pattern, * and # wildcards (default #)");
    listen_cmd->add_flag("--quiet", args->quiet, "Print subjects only");
    listen_cmd->add_option("--count", args->count, "Stop after N messages; exit 1 if fewer arrive before --timeout");
    listen_cmd->add_option("--timeout", args->timeout, "Stop after SECONDS");
    listen_cmd->callback([&context, &action, args] { action = [&context, args] { return listen(context, *args); }; });
}

}  // namespace notify::cli
