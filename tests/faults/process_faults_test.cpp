// The delivering process itself dies: `notify serve` (the installed binary) is killed with
// SIGKILL at random moments while a host keeps firing into the shared store, and started
// again each time. Deliveries go to the suite's RabbitMQ.
#include <fstream>

#include "amqp_notifier.hpp"
#include "fault_table.hpp"
#include "firer.hpp"
#include "pika.hpp"
#include "serve_kills.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;

TEST_CASE("notify serve killed with SIGKILL at random moments during a long run, then restarted", "[faults][process]") {
    const auto& broker = Broker::get();
    const std::string exchange = unique("fault-serve-kill");
    const std::string queue = exchange + "-q";
    handlers::amqp::ensure_exchange(broker.messaging(), exchange);
    REQUIRE(broker.api_call("PUT", "/api/queues/%2F/" + queue, R"({"durable":true,"auto_delete":false})") == 201);
    REQUIRE(broker.api_call("POST", "/api/bindings/%2F/e/" + exchange + "/q/" + queue, R"({"routing_key":"#"})") == 201);

    // The host stores events and leaves delivery to notify serve.
    HandlerNotifier host([](core::HandlerRegistry& r) { handlers::amqp::register_handler(r); },
                         {{"messaging", broker.messaging()}});
    host.options.dispatch = false;
    host.add_listener(listener("amqp", {"repo.#"}, {{"exchange", exchange}}, "data"));
    host.start();
    const std::string conf = (host.dir / "server.conf").string();
    write_private(conf, "[store]\npath = " + host.options.store.path.string() + "\n[messaging]\nurl = amqp://guest:guest@" +
                            broker.amqp_url.substr(7) + "\nmanagement_url = " + broker.management_url +
                            "\ntimeout = 10s\n[delivery]\nbackoff_initial = 100ms\nbackoff_max = 1s\nmax_attempts = 0\n");
    const std::vector<std::string> env{"NOTIFY_CONFIG=" + conf};

    const int kills = 4;
    Firer firer(*host.notifier, 1ms);
    kill_serve_repeatedly(env, kills, 300, 2000);
    const auto& fired = firer.stop();
    const auto recovery = serve_until_flushed(env, host);

    PikaConsumer drain({broker.amqp_port(), "drain", queue, std::to_string(fired.size() * 2 + 1000), "3"});
    std::vector<std::string> received;
    for (const auto& m : drain.messages()) received.push_back(m.at("message_id").get<std::string>());
    // Per kill: what serve had sent and not yet recorded as confirmed (the handler's window,
    // plus outcomes waiting to be stored, at most 256).
    record(tally("serve", std::to_string(kills) + "x SIGKILL of notify serve, restarted", fired, received,
                 kills * (128 + 256), recovery));
    broker.api_call("DELETE", "/api/queues/%2F/" + queue);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}
