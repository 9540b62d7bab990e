// A repository manager embeds notify and says when a sync finished (README.md).
#include <notify/handlers/amqp/amqp.hpp>
#include <notify/notify.hpp>

using namespace notify::core;

std::unique_ptr<Notifier> make_notifier() {  // once, at start-up: server.conf and the environment
    auto env = notify::config::Environment::from_process();
    auto handlers = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*handlers);
    auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                         notify::config::Schema::for_handlers(*handlers));
    return std::make_unique<Notifier>(notify::config::notifier_options(settings, handlers));
}

void sync_finished(Notifier& notifier, const std::string& repo_id) {  // stored durably; notify delivers it
    notifier.fire(repo_finished(RepoOperation::sync, repo_id, RepoResult::success, {{"units_added", 3}}));
}
