// A host application embedding notify: it loads server.conf, registers the amqp, email and
// http handlers, makes sure an amqp listener for EXCHANGE exists, fires a repository
// sync/publish cycle and two organisation changes, waits until the broker confirmed them,
// and shows what a consumer bound to the exchange with PATTERN received.
// Usage: host-app EXCHANGE PATTERN     (server.conf: --config is $NOTIFY_CONFIG)
#include <iostream>

#include <notify/config/loader.hpp>
#include <notify/config/notifier_options.hpp>
#include <notify/core/error.hpp>
#include <notify/core/notifier.hpp>
#include <notify/core/well_known.hpp>
#include <notify/handlers/amqp/amqp.hpp>
#include <notify/handlers/email/email.hpp>
#include <notify/handlers/http/http.hpp>

using namespace notify::core;
namespace amqp = notify::handlers::amqp;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: host-app EXCHANGE PATTERN\n";
        return 2;
    }
    const std::string exchange = argv[1];
    try {
        // 1. The handlers this host delivers through, registered explicitly.
        auto handlers = std::make_shared<HandlerRegistry>();
        amqp::register_handler(*handlers);
        notify::handlers::email::register_handler(*handlers);
        notify::handlers::http::register_handler(*handlers);

        // 2. Settings: server.conf ($NOTIFY_CONFIG or /etc/notify/server.conf) + environment,
        //    notify's sections and those of the handlers.
        const auto env = notify::config::Environment::from_process();
        const auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                                   notify::config::Schema::for_handlers(*handlers));
        auto options = notify::config::notifier_options(settings, handlers);
        const auto& messaging = options.handler_sections.at("messaging");

        // 3. A listener (usually an admin creates it with `notify listener amqp create`).
        Listener listener;
        listener.kind = "amqp";
        listener.event_types = {TopicPattern("repo.#"), TopicPattern("employee.#"), TopicPattern("org_unit.#")};
        listener.settings = {{"exchange", exchange}};
        handlers->get("amqp").validate(listener, messaging);
        const auto stored = ListenerStore(options.store.path).create(listener);
        amqp::ensure_exchange(messaging, exchange);
        std::cout << "listener " << stored.id << ": repo.#, employee.#, org_unit.# -> exchange '" << exchange << "'\n";

        amqp::Consumer consumer(messaging, exchange, argv[2]);

        // 4. The Notifier: fire() stores durably and returns; delivery runs on its threads.
        Notifier notifier(options);
        const Timestamp when = now();
        const std::vector<Event> events = {
            repo_started(RepoOperation::sync, "zoo", "pulp"),
            repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"units_added", 3}}, "pulp"),
            repo_started(RepoOperation::publish, "zoo", "pulp"),
            repo_finished(RepoOperation::publish, "zoo", RepoResult::success, {}, "pulp"),
            org_event(OrgService::employee, OrgObject::it, OrgAction::create, "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11",
                      when, "mo"),
            org_event(OrgService::org_unit, OrgObject::manager, OrgAction::delete_,
                      "5d4f1c7f-8d2e-4a66-8b8f-3c9a2d1e0f22", when, "mo"),
        };
        for (const auto& e : events) {
            notifier.fire(e);
            std::cout << "fired    " << e.type() << '\n';
        }
        // 5. Before exiting: wait for confirmations (what is left stays in the outbox).
        if (!notifier.flush(std::chrono::steady_clock::now() + std::chrono::seconds(30))) {
            std::cerr << "host-app: not every event was confirmed by the broker within 30 s\n";
            return 1;
        }
        std::cout << "confirmed " << notifier.stats().at(0).delivered << " of " << events.size() << '\n';
        int received = 0;
        while (auto m = consumer.next(std::chrono::seconds(2))) {
            ++received;
            std::cout << "received " << m->subject << '\n';
        }
        std::cout << received << " messages matched '" << argv[2] << "'\n";
        return received > 0 ? 0 : 1;
    } catch (const notify::Error& e) {
        std::cerr << "host-app: " << e.what() << '\n';
        return 1;
    }
}
