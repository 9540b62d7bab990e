// notify serve: deliver what is in the store's outbox until SIGTERM or SIGINT.
#include <chrono>

#include "commands.hpp"
#include "signals.hpp"

namespace notify::cli {

void add_serve_command(CLI::App& app, Context& context, Action& action) {
    auto* serve = app.add_subcommand("serve", "Deliver pending events until SIGTERM or SIGINT, then drain and exit");
    serve->callback([&] {
        action = [&] {
            StopSignals signals;  // before the notifier starts its threads
            auto notifier = context.notifier(true);
            if (!context.json) {
                context.err << "notify: serving " << context.settings().store().path.string()
                            << " (handlers amqp, email, http); SIGTERM or Ctrl-C to stop" << std::endl;
            }
            const int signal = signals.wait_for_stop();
            notifier->stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
            std::uint64_t pending = 0;
            for (const auto& s : notifier->stats()) pending += s.pending + s.in_flight;
            if (context.json) {
                context.print_json({{"stopped_by", signal == SIGTERM ? "SIGTERM" : "SIGINT"}, {"pending", pending}});
            } else {
                context.err << "notify: stopped; " << pending << " deliveries left in the outbox" << std::endl;
            }
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
