// The address form chosen from a broker's open frame, and the addresses themselves. No
// broker: the open frames are recorded ones.
#include <catch2/catch.hpp>

#include <proton/symbol.hpp>
#include <proton/value.hpp>

#include "address.hpp"

using namespace notify::handlers::amqp;

namespace {

using OpenProperties = std::map<proton::symbol, proton::value>;

// The open frame properties RabbitMQ 3.10.8 (Debian 12) sends, as recorded.
OpenProperties rabbitmq_3_10() {
    return {{proton::symbol("cluster_name"), std::string("notify-test@vm")},
            {proton::symbol("copyright"), std::string("Copyright (c) 2007-2022 VMware, Inc. or its affiliates.")},
            {proton::symbol("information"), std::string("Licensed under the MPL 2.0. Website: https://rabbitmq.com")},
            {proton::symbol("platform"), std::string("Erlang/OTP 25.2.3")},
            {proton::symbol("product"), std::string("RabbitMQ")},
            {proton::symbol("version"), std::string("3.10.8")}};
}

// RabbitMQ 4.x sends the same keys with its own version (from its documentation; not
// recorded from a running 4.x here).
OpenProperties rabbitmq_4(const std::string& version) {
    auto p = rabbitmq_3_10();
    p[proton::symbol("version")] = version;
    return p;
}

}  // namespace

TEST_CASE("address_style auto: v1 for RabbitMQ 3.x and other brokers, v2 for RabbitMQ 4 and later", "[amqp][unit]") {
    const auto v3 = broker_info(rabbitmq_3_10());
    CHECK(v3.product == "RabbitMQ");
    CHECK(v3.version == "3.10.8");
    CHECK(address_style("auto", v3) == AddressStyle::v1);
    CHECK(address_style("auto", broker_info(rabbitmq_4("4.0.5"))) == AddressStyle::v2);
    CHECK(address_style("auto", broker_info(rabbitmq_4("4.1.0-rc.1"))) == AddressStyle::v2);
    CHECK(address_style("auto", broker_info(rabbitmq_4("10.2.0"))) == AddressStyle::v2);
    // Other brokers, and frames without the properties, keep the 3.x form.
    CHECK(address_style("auto", broker_info({{proton::symbol("product"), std::string("apache-activemq-artemis")},
                                              {proton::symbol("version"), std::string("2.31.2")}})) == AddressStyle::v1);
    CHECK(address_style("auto", broker_info({})) == AddressStyle::v1);
    CHECK(broker_info({{proton::symbol("product"), proton::symbol("RabbitMQ")}}).product == "RabbitMQ");  // a symbol
    CHECK(address_style("auto", broker_info({{proton::symbol("version"), 4}})) == AddressStyle::v1);  // not text
    // A setting wins over the frame.
    CHECK(address_style("v2", v3) == AddressStyle::v2);
    CHECK(address_style("v1", broker_info(rabbitmq_4("4.0.5"))) == AddressStyle::v1);
}

TEST_CASE("addresses: /exchange/NAME and /amq/queue/NAME (v1), percent-encoded /exchanges/NAME and /queues/NAME (v2)",
          "[amqp][unit]") {
    CHECK(exchange_address(AddressStyle::v1, "pulp") == "/exchange/pulp");
    CHECK(exchange_address(AddressStyle::v1, "amq.topic") == "/exchange/amq.topic");
    CHECK(exchange_address(AddressStyle::v2, "pulp") == "/exchanges/pulp");
    CHECK(exchange_address(AddressStyle::v2, "amq.topic") == "/exchanges/amq.topic");
    CHECK(exchange_address(AddressStyle::v2, "org:events_1-a") == "/exchanges/org%3Aevents_1-a");
    CHECK(queue_address(AddressStyle::v1, "notify-listen-x1") == "/amq/queue/notify-listen-x1");
    CHECK(queue_address(AddressStyle::v2, "notify-listen-x1") == "/queues/notify-listen-x1");
}
