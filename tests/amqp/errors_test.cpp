// What an admin sees when the broker refuses: wrong credentials, an unknown vhost, an
// exchange of another type. Each must give a clear error, and none may make the handler spin.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "amqp_notifier.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;
using notify::handlers::amqp::Consumer;

namespace {

// Waits until the single delivery of `n` has been attempted at least `attempts` times or is
// dead, and returns where it stands.
DeliveryStatus settle(AmqpNotifier& n, const FireReceipt& receipt, int attempts, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const auto s = n.notifier->status(receipt).at(0);
        if (s.state != DeliveryStatus::State::pending || s.attempts >= attempts ||
            std::chrono::steady_clock::now() > deadline) {
            return s;
        }
        std::this_thread::sleep_for(50ms);
    }
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& needle) {
    return std::count_if(lines.begin(), lines.end(), [&](const auto& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("wrong credentials: the broker's refusal is visible, reconnecting backs off", "[amqp]") {
    AmqpNotifier n({{{"#"}, "data", ""}}, Broker::get().messaging("", "guest:not-the-password"));
    const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    std::this_thread::sleep_for(4s);
    const auto s = n.notifier->status(receipt).at(0);
    CHECK(s.state == DeliveryStatus::State::pending);  // kept: the password may be fixed
    INFO(s.last_error);
    CHECK(s.last_error.find("not connected to the broker") != std::string::npos);
    CHECK(s.last_error.find("unauthorized-access") != std::string::npos);
    const auto lines = n.log->snapshot();
    // Backoff: 4 s of refusals are a handful of connection attempts, not thousands.
    const auto refusals = count_containing(lines, "unauthorized-access");
    CHECK(refusals >= 1);
    CHECK(refusals <= 12);
    CHECK(s.attempts <= 12);
    for (const auto& line : lines) CHECK(line.find("not-the-password") == std::string::npos);
}

TEST_CASE("an unknown vhost: the broker's refusal names it, reconnecting backs off", "[amqp]") {
    AmqpNotifier n({{{"#"}, "data", ""}}, Broker::get().messaging("", "guest:guest", "/no-such-vhost"));
    const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    std::this_thread::sleep_for(4s);
    const auto s = n.notifier->status(receipt).at(0);
    CHECK(s.state == DeliveryStatus::State::pending);
    INFO(s.last_error);
    CHECK(s.last_error.find("no-such-vhost") != std::string::npos);
    const auto lines = n.log->snapshot();
    for (const auto& line : lines) UNSCOPED_INFO(line);
    const auto refusals = count_containing(lines, "no-such-vhost");
    CHECK(refusals >= 1);
    CHECK(refusals <= 12);
}

TEST_CASE("an exchange of another type: ensure_exchange (listener create) refuses it, naming it", "[amqp]") {
    const std::string exchange = unique("notify-test-direct");
    const auto& broker = Broker::get();
    REQUIRE(broker.api_call("PUT", "/api/exchanges/%2F/" + exchange, R"({"type":"direct","durable":true})") == 201);
    try {
        notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange);
        FAIL("no error");
    } catch (const notify::handlers::amqp::ExchangeRefused& e) {  // the broker's answer: asking again cannot help
        CHECK(std::string(e.what()).find("exchange '" + exchange + "' is a direct exchange, not a topic exchange") !=
              std::string::npos);
    }
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("an existing exchange needs no management API: deliveries attach to it directly", "[amqp]") {
    const std::string exchange = unique("notify-test-closed-api");
    const auto& broker = Broker::get();
    REQUIRE(broker.api_call("PUT", "/api/exchanges/%2F/" + exchange, R"({"type":"topic","durable":true})") == 201);
    Consumer consumer(broker.messaging(), exchange, "repo.#");
    auto messaging = broker.messaging();
    messaging["management_url"] = "http://127.0.0.1:1";  // closed, as on many production brokers
    AmqpNotifier n({{{"#"}, "cloudevents", exchange}}, messaging);
    const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    const auto s = settle(n, receipt, 1, 20s);
    INFO(s.last_error);
    CHECK(s.state == DeliveryStatus::State::delivered);
    const auto m = consumer.next(10s);
    REQUIRE(m.has_value());
    CHECK(m->subject == "repo.sync.start");
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("a missing exchange and an unreachable management API: one error naming both", "[amqp]") {
    const std::string exchange = unique("notify-test-nowhere");
    const auto& broker = Broker::get();
    auto messaging = broker.messaging();
    messaging["management_url"] = "http://127.0.0.1:1";
    AmqpNotifier n({{{"#"}, "cloudevents", exchange}}, messaging);
    const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    const auto s = settle(n, receipt, 2, 20s);
    CHECK(s.state == DeliveryStatus::State::pending);  // kept: the exchange may be made
    INFO(s.last_error);
    CHECK(s.last_error.find("exchange '" + exchange + "' does not exist on the broker (") != std::string::npos);
    CHECK(s.last_error.find("amqp:not-found") != std::string::npos);
    CHECK(s.last_error.find("and notify cannot create it: cannot reach the RabbitMQ management API at "
                            "http://127.0.0.1:1") != std::string::npos);
    CHECK(broker.api("/api/exchanges/%2F/" + exchange).is_null());
}

TEST_CASE("exchange_durable = false creates a missing exchange non-durable, as pika declares one by default", "[amqp]") {
    const std::string exchange = unique("notify-test-os2mo");
    const auto& broker = Broker::get();
    AmqpNotifier n({{{"#"}, "data", exchange}}, broker.messaging("exchange_durable = false\n"));
    n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 20s));
    const auto info = broker.api("/api/exchanges/%2F/" + exchange);
    REQUIRE(info.is_object());
    CHECK(info.at("type") == "topic");
    CHECK(info.at("durable") == false);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("an existing non-durable topic exchange is used as it is, not refused as inequivalent", "[amqp]") {
    // As a pika consumer with default arguments declares it (OS2MO's examples do).
    const std::string exchange = unique("notify-test-transient");
    const auto& broker = Broker::get();
    REQUIRE(broker.api_call("PUT", "/api/exchanges/%2F/" + exchange, R"({"type":"topic","durable":false})") == 201);
    CHECK_NOTHROW(notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange));
    CHECK(broker.api("/api/exchanges/%2F/" + exchange)["durable"] == false);  // left as it was
    AmqpNotifier n({{{"#"}, "cloudevents", exchange}});
    const auto receipt = n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    const auto s = settle(n, receipt, 1, 20s);
    INFO(s.last_error);
    CHECK(s.state == DeliveryStatus::State::delivered);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("ensure_exchange creates a durable topic exchange once and leaves amq.* alone", "[amqp]") {
    const std::string exchange = unique("notify-test-ensure");
    const auto& broker = Broker::get();
    notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange);
    auto info = broker.api("/api/exchanges/%2F/" + exchange);
    REQUIRE(info.is_object());
    CHECK(info.at("type") == "topic");
    CHECK(info.at("durable") == true);
    notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange);  // exists: fine
    notify::handlers::amqp::ensure_exchange(broker.messaging(), "amq.topic");
    const std::string off = unique("notify-test-off");
    notify::handlers::amqp::ensure_exchange(broker.messaging("auto_create_exchange = false\n"), off);
    CHECK(broker.api("/api/exchanges/%2F/" + off).is_null());
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("ensure_exchange reports refused credentials and an unreachable broker", "[amqp]") {
    const auto& broker = Broker::get();
    try {
        notify::handlers::amqp::ensure_exchange(broker.messaging("", "guest:wrong-secret"), "notify-test-x");
        FAIL("no error");
    } catch (const notify::Error& e) {
        const std::string what = e.what();
        CHECK(what.find("refused the credentials (401)") != std::string::npos);
        CHECK(what.find("wrong-secret") == std::string::npos);
    }
    try {
        auto messaging = broker.messaging();
        messaging["management_url"] = "http://127.0.0.1:1";  // nothing listens there
        notify::handlers::amqp::ensure_exchange(messaging, "notify-test-x");
        FAIL("no error");
    } catch (const notify::Error& e) {
        CHECK(std::string(e.what()).find("cannot reach the RabbitMQ management API at http://127.0.0.1:1") !=
              std::string::npos);
    }
}
