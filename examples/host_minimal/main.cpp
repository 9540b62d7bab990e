// A minimal host: loads server.conf, keeps a listener in the store and fires well-known
// events on the in-process bus. Usage: host_minimal STORE_FILE
#include <iostream>

#include <notify/config/loader.hpp>
#include <notify/core/error.hpp>
#include <notify/core/event_bus.hpp>
#include <notify/core/listener_store.hpp>
#include <notify/core/well_known.hpp>

using namespace notify::core;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: host_minimal STORE_FILE\n";
        return 2;
    }
    try {
        const auto env = notify::config::Environment::from_process();
        const auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env);
        std::cout << "topic exchange: " << settings.section("messaging").string("topic_exchange") << '\n';

        ListenerStore store(argv[1]);
        Listener listener;
        listener.kind = "amqp";
        listener.event_types.emplace_back("repo.*.finish");
        listener.settings = {{"exchange", "pulp"}};
        const auto stored = store.create(listener);
        std::cout << "listener " << stored.id << " wants repo.*.finish\n";

        EventBus bus;
        int received = 0;
        auto subscription = bus.subscribe("repo.*.finish", [&](const Event& e) {
            std::cout << "received " << e.type() << ' ' << e.data().dump() << '\n';
            ++received;
        });
        bus.publish(repo_started(RepoOperation::sync, "zoo"));
        bus.publish(repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"units_added", 3}}));
        return received == 1 && store.get(stored.id).matches("repo.sync.finish") ? 0 : 1;
    } catch (const notify::Error& e) {
        std::cerr << "host_minimal: " << e.what() << '\n';
        return 1;
    }
}
