// amqps:// end to end against the test broker's TLS listener: the right CA delivers; another
// CA or a host name the certificate does not carry fails with a clear error, and nothing is
// ever sent in plain text instead.
#include <catch2/catch.hpp>

#include <thread>

#include "amqp_notifier.hpp"
#include "handler_schema.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "notify/config/loader.hpp"
#include "notify/core/well_known.hpp"
#include "pika.hpp"
#include "test_certs.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using State = core::DeliveryStatus::State;

namespace {

// [messaging] for the TLS listener, reached as `host`, trusting `ca_file`.
nlohmann::json tls_messaging(const std::string& host, const std::string& ca_file) {
    const auto& broker = Broker::get();
    const std::string port = broker.amqps_url.substr(broker.amqps_url.rfind(':') + 1);
    const std::string conf = "[messaging]\nurl = amqps://guest:guest@" + host + ":" + port +
                             "\nmanagement_url = " + broker.management_url + "\nca_file = " + ca_file + "\ntimeout = 5s\n";
    return config::parse(conf, "test.conf", config::Environment{}, test::schema_with(handlers::amqp::make_factory())).section("messaging").to_json();
}

// Fires one event through amqps; where it stands after a few attempts, and what a consumer
// bound to the exchange received meanwhile.
std::pair<core::DeliveryStatus, std::vector<nlohmann::json>> fire_over_tls(const nlohmann::json& messaging) {
    const std::string exchange = unique("notify-test-tls");
    handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
    PikaConsumer consumer({Broker::get().amqp_port(), "bind", exchange, "#", "1", "4"});
    AmqpNotifier n({{{"repo.#"}, "data", exchange}}, messaging);
    const auto receipt = n.notifier->fire(core::repo_started(core::RepoOperation::sync, "zoo"));
    n.notifier->flush(std::chrono::steady_clock::now() + 3s);
    auto status = n.notifier->status(receipt).at(0);
    auto messages = consumer.messages();
    Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
    return {status, messages};
}

}  // namespace

TEST_CASE("amqps with the broker's CA delivers", "[amqp][tls]") {
    const auto [status, messages] = fire_over_tls(tls_messaging("localhost", Broker::get().ca_file));
    CHECK(status.state == State::delivered);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0]["routing_key"] == "repo.sync.start");
    CHECK(messages[0]["message_id"] == status.delivery_id);
}

TEST_CASE("amqps with another CA fails with a certificate error and sends nothing", "[amqp][tls]") {
    const auto [status, messages] = fire_over_tls(tls_messaging("localhost", cert("other-ca.pem")));
    INFO(status.last_error);
    CHECK(status.state == State::pending);
    CHECK(status.attempts >= 1);
    CHECK(status.last_error.find("certificate verify failed") != std::string::npos);
    CHECK(status.last_error.find("amqps://localhost:") != std::string::npos);
    CHECK(status.last_error.find("ca_file") != std::string::npos);
    CHECK(messages.empty());
}

TEST_CASE("amqps to a host name the certificate does not carry fails and sends nothing", "[amqp][tls]") {
    // The broker's certificate names localhost only; 127.0.0.1 is the same server.
    const auto [status, messages] = fire_over_tls(tls_messaging("127.0.0.1", Broker::get().ca_file));
    INFO(status.last_error);
    CHECK(status.state == State::pending);
    CHECK(status.attempts >= 1);
    CHECK(status.last_error.find("certificate verify failed") != std::string::npos);
    CHECK(status.last_error.find("amqps://127.0.0.1:") != std::string::npos);
    CHECK(messages.empty());
}
