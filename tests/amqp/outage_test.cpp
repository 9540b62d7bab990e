// The broker goes away in the middle of a stream of events and comes back: every event fired
// (before, during and after the outage) must reach a durable queue at least once.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "amqp_notifier.hpp"
#include "notify/core/well_known.hpp"
#include "pika.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;

TEST_CASE("the broker stopped mid-stream and started again: nothing fired is lost", "[amqp][outage]") {
    const auto& broker = Broker::get();
    const std::string exchange = unique("notify-test-outage");
    const std::string queue = exchange + "-q";
    notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange);
    REQUIRE(broker.api_call("PUT", "/api/queues/%2F/" + queue, R"({"durable":true,"auto_delete":false})") == 201);
    REQUIRE(broker.api_call("POST", "/api/bindings/%2F/e/" + exchange + "/q/" + queue, R"({"routing_key":"#"})") == 201);

    // No limit on attempts: with quick retries an outage of this length would use 25 up.
    AmqpNotifier n({{{"repo.#"}, "data", exchange}}, broker.messaging(), quick_retries(0));
    std::set<std::string> fired;  // delivery ids
    std::atomic<bool> stop_firing{false};
    std::thread firer([&] {
        for (int i = 0; !stop_firing; ++i) {
            const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "repo-" + std::to_string(i)));
            fired.insert(receipt.deliveries.at(0).delivery_id);
            std::this_thread::sleep_for(10ms);
        }
    });
    std::this_thread::sleep_for(1500ms);
    broker.control("stop");  // graceful: persistent messages in the durable queue survive
    std::this_thread::sleep_for(2s);
    broker.control("restart");
    std::this_thread::sleep_for(1500ms);
    stop_firing = true;
    firer.join();
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 60s));

    const auto stats = n.notifier->stats().at(0);
    CHECK(stats.delivered >= fired.size());
    CHECK(stats.dead == 0);
    CHECK(stats.retried > 0);  // the outage was really hit

    PikaConsumer drain({broker.amqp_port(), "drain", queue, std::to_string(fired.size() * 2), "3"});
    std::map<std::string, int> received;  // message-id -> copies
    for (const auto& m : drain.messages()) ++received[m.at("message_id").get<std::string>()];
    std::set<std::string> lost;
    for (const auto& id : fired) {
        if (received.count(id) == 0) lost.insert(id);
    }
    std::size_t duplicates = 0;
    std::set<std::string> unexpected;  // received but never fired
    for (const auto& [id, copies] : received) {
        if (fired.count(id) == 0) unexpected.insert(id);
        duplicates += static_cast<std::size_t>(copies - 1);
    }
    INFO("fired " << fired.size() << ", received " << received.size() << " distinct, " << duplicates << " duplicates");
    CHECK(fired.size() > 200);
    CHECK(lost.empty());
    CHECK(unexpected.empty());
    broker.api_call("DELETE", "/api/queues/%2F/" + queue);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}
