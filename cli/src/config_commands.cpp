// notify check-config.
#include "commands.hpp"

namespace notify::cli {

void add_config_commands(CLI::App& app, Context& context, Action& action) {
    auto* check = app.add_subcommand("check-config",
                                     "Load server.conf and the environment, print the effective settings (secrets masked)");
    check->callback([&] {
        action = [&] {
            const auto& settings = context.settings();
            // What the handlers would refuse when they start is refused here too.
            context.check_sections(settings);
            context.print_json(settings.to_masked_json());
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
