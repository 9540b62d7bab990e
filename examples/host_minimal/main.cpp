// A minimal host application: loads server.conf, registers its own "print" handler kind
// (the way a plugin handler plugs in), keeps a listener in the store, fires well-known
// events through a Notifier and waits until they are delivered.
// Usage: host_minimal STORE_FILE
#include <iostream>
#include <mutex>

#include <notify/config/loader.hpp>
#include <notify/config/notifier_options.hpp>
#include <notify/core/error.hpp>
#include <notify/core/notifier.hpp>
#include <notify/core/plugin_loader.hpp>
#include <notify/core/well_known.hpp>

using namespace notify::core;

namespace {

// Delivers by printing: a stand-in for a broker, mail or web server.
class PrintHandler : public Handler {
public:
    DeliveryResult deliver(const Delivery& d) noexcept override {
        std::lock_guard lock(mutex_);
        std::cout << "delivered " << d.event->type() << " to listener " << d.listener->id << ": "
                  << d.event->data().dump() << '\n';
        return DeliveryResult::delivered();
    }
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}

private:
    std::mutex mutex_;
};

class PrintFactory : public HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "print"; }
    std::string_view config_section() const noexcept override { return "print"; }
    std::vector<std::string> formats() const override { return {"cloudevents"}; }
    void validate(Listener&, const nlohmann::json&) const override {}
    std::unique_ptr<Handler> create(const HandlerContext&) const override { return std::make_unique<PrintHandler>(); }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: host_minimal STORE_FILE\n";
        return 2;
    }
    try {
        // The handlers this process delivers through: its own, and every installed plugin.
        auto handlers = std::make_shared<HandlerRegistry>();
        handlers->add(std::make_unique<PrintFactory>());
        notify::core::PluginLoader plugins(*handlers);
        plugins.load_folder(notify::core::installed_plugin_folder());

        const auto env = notify::config::Environment::from_process();
        const auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                                   notify::config::Schema::for_handlers(*handlers));
        std::cout << "topic exchange: " << settings.section("messaging").string("topic_exchange") << '\n';
        auto options = notify::config::notifier_options(settings, handlers);
        options.store.path = argv[1];

        Listener wanted;
        wanted.kind = "print";
        wanted.event_types.emplace_back("repo.*.finish");
        const auto stored = ListenerStore(options.store.path).create(wanted);
        std::cout << "listener " << stored.id << " wants repo.*.finish\n";

        Notifier notifier(options);
        int on_bus = 0;
        auto subscription = notifier.bus().subscribe("repo.#", [&](const Event&) { ++on_bus; });
        notifier.fire(repo_started(RepoOperation::sync, "zoo"));
        const auto receipt =
            notifier.fire(repo_finished(RepoOperation::sync, "zoo", RepoResult::success, {{"units_added", 3}}));
        if (!notifier.flush(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
            std::cerr << "host_minimal: deliveries still pending after 10 s\n";
            return 1;
        }
        std::cout << "fired 2 events, " << on_bus << " seen on the bus, " << receipt.deliveries.size()
                  << " delivery stored for the listener\n";
        return on_bus == 2 && receipt.deliveries.size() == 1 ? 0 : 1;
    } catch (const notify::Error& e) {
        std::cerr << "host_minimal: " << e.what() << '\n';
        return 1;
    }
}
