// notify plugins list: the handler plugins loaded, and the files skipped with the reason.
#include "commands.hpp"

namespace notify::cli {

namespace {

std::string where(const std::filesystem::path& path) { return path.empty() ? "(linked into notify)" : path.string(); }

int list_plugins(Context& context) {
    const auto& plugins = context.plugins();
    if (context.json) {
        nlohmann::json loaded = nlohmann::json::array();
        for (const auto& p : plugins.loaded()) {
            loaded.push_back({{"name", p.name}, {"version", p.version}, {"path", where(p.path)}, {"kinds", p.kinds}});
        }
        nlohmann::json skipped = nlohmann::json::array();
        for (const auto& s : plugins.skipped()) skipped.push_back({{"path", s.path.string()}, {"reason", s.reason}});
        context.print_json({{"plugins", loaded}, {"skipped", skipped}});
        return exit_ok;
    }
    if (plugins.loaded().empty()) context.out << "No handler plugin is loaded.\n";
    for (const auto& p : plugins.loaded()) {
        std::string kinds;
        for (const auto& k : p.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
        context.out << p.name << ' ' << p.version << "  kinds: " << kinds << "  " << where(p.path) << '\n';
    }
    for (const auto& s : plugins.skipped()) context.out << "skipped " << s.path.string() << ": " << s.reason << '\n';
    return exit_ok;
}

}  // namespace

void add_plugins_command(CLI::App& app, Context& context, Action& action) {
    auto* plugins = app.add_subcommand("plugins", "The handler plugins loaded");
    plugins->require_subcommand(1);
    auto* list = plugins->add_subcommand(
        "list", "Each plugin's version, file and handler kinds, and the files skipped with the reason");
    list->callback([&context, &action] { action = [&context] { return list_plugins(context); }; });
}

}  // namespace notify::cli
