// fire() and stop(): what docs/delivery.md promises about them.
#include <notify/handlers/amqp/amqp.hpp>
#include <notify/notify.hpp>

void deliver_one_event() {
    using namespace notify::core;
    auto env = notify::config::Environment::from_process();
    auto handlers = std::make_shared<HandlerRegistry>();
    notify::handlers::amqp::register_handler(*handlers);  // each handler registers explicitly
    // server.conf may hold the sections of the registered handlers ([messaging]).
    auto settings = notify::config::load(notify::config::resolve_config_path(std::nullopt, env), env,
                                         notify::config::Schema::for_handlers(*handlers));
    Notifier notifier(notify::config::notifier_options(settings, handlers));

    // Stored durably for every matching listener when it returns; no network I/O.
    const FireReceipt receipt = notifier.fire(repo_finished(RepoOperation::sync, "zoo", RepoResult::success));
    for (const DeliveryStatus& s : notifier.status(receipt)) {
        if (s.state == DeliveryStatus::State::dead) log_to_stderr(LogLevel::error, s.last_error);
    }
    // What is not delivered in 10 s stays in the outbox for the next start or notify serve.
    notifier.stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
}
