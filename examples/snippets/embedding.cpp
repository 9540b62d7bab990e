// A host embedding notify with all three handlers (docs/embedding.md).
#include <notify/handlers/amqp/amqp.hpp>
#include <notify/handlers/email/email.hpp>
#include <notify/handlers/http/http.hpp>
#include <notify/notify.hpp>

using namespace notify::core;

// Once, at start-up.
std::unique_ptr<Notifier> start_notify() {
    auto env = notify::config::Environment::from_process();
    auto handlers = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*handlers);
    notify::handlers::email::register_handler(*handlers);
    notify::handlers::http::register_handler(*handlers);
    auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                         notify::config::Schema::for_handlers(*handlers));
    return std::make_unique<Notifier>(notify::config::notifier_options(settings, handlers));
}

// Wherever something happens.
void on_changes(Notifier& notifier, const std::string& employee_uuid) {
    notifier.fire(repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"units_added", 3}}));
    notifier.fire(org_event(OrgService::employee, OrgObject::it, OrgAction::create, employee_uuid, now()));
    notifier.fire(Event("invoice.paid", {{"invoice", "2026-0042"}}, "billing"));  // a type of the host's own
}

// At shutdown: give deliveries a moment, then stop; what is left stays in the outbox.
void stop_notify(Notifier& notifier) {
    notifier.flush(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    notifier.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}
