// A repository manager and an organisation system in one small host: it loads server.conf,
// registers the amqp handler, keeps an amqp listener for EXCHANGE in the store, fires a
// repository sync/publish cycle and a few organisation changes, and shows them arriving on
// a consumer bound to the exchange with PATTERN.
// Usage: amqp_host STORE_FILE EXCHANGE PATTERN
#include <iostream>

#include <notify/config/loader.hpp>
#include <notify/config/notifier_options.hpp>
#include <notify/core/error.hpp>
#include <notify/core/notifier.hpp>
#include <notify/core/well_known.hpp>
#include <notify/handlers/amqp/amqp.hpp>

using namespace notify::core;
namespace amqp = notify::handlers::amqp;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: amqp_host STORE_FILE EXCHANGE PATTERN\n";
        return 2;
    }
    const std::string exchange = argv[2];
    try {
        const auto env = notify::config::Environment::from_process();
        const auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env);
        auto handlers = std::make_shared<HandlerRegistry>();
        amqp::register_handler(*handlers);
        auto options = notify::config::notifier_options(settings, handlers);
        options.store_path = argv[1];
        const auto& messaging = options.handler_sections.at("messaging");

        Listener listener;
        listener.kind = "amqp";
        listener.event_types = {TopicPattern("repo.#"), TopicPattern("employee.#"), TopicPattern("org_unit.#")};
        listener.settings = {{"exchange", exchange}};
        handlers->get("amqp").validate(listener, messaging);
        const auto stored = ListenerStore(options.store_path).create(listener);
        amqp::ensure_exchange(messaging, exchange);  // what `notify listener amqp create` does
        std::cout << "listener " << stored.id << ": repo.#, employee.#, org_unit.# -> exchange '" << exchange
                  << "' (cloudevents)\n";

        amqp::Consumer consumer(messaging, exchange, argv[3]);
        std::cout << "consumer bound to '" << exchange << "' with '" << argv[3] << "' (queue " << consumer.queue()
                  << ")\n";

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
        if (!notifier.flush(std::chrono::steady_clock::now() + std::chrono::seconds(30))) {
            std::cerr << "amqp_host: not every event was confirmed by the broker within 30 s\n";
            return 1;
        }
        std::cout << "the broker accepted all " << events.size() << " (" << notifier.stats().at(0).delivered
                  << " delivered)\n";
        int received = 0;
        while (auto m = consumer.next(std::chrono::seconds(2))) {
            ++received;
            std::cout << "received " << m->subject << "  " << m->body << '\n';
        }
        std::cout << received << " messages matched '" << argv[3] << "'\n";
        return received > 0 ? 0 : 1;
    } catch (const notify::Error& e) {
        std::cerr << "amqp_host: " << e.what() << '\n';
        return 1;
    }
}
