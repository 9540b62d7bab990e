// Which AMQP 1.0 address form the broker takes for an exchange, told from its open frame
// (internal).
#pragma once

#include <proton/symbol.hpp>
#include <proton/value.hpp>

#include <map>
#include <string>

namespace notify::handlers::amqp {

struct BrokerInfo {
    std::string product;  // from the broker's open frame, e.g. "RabbitMQ"
    std::string version;  // e.g. "3.10.8"
};

// The product and version properties of an open frame (empty when missing or not text).
BrokerInfo broker_info(const std::map<proton::symbol, proton::value>& open_properties);

// v1: RabbitMQ 3.x's AMQP 1.0 plugin, "/exchange/<name>". v2: RabbitMQ 4.x's native AMQP
// 1.0, "/exchanges/<name>" (percent-encoded).
enum class AddressStyle { v1, v2 };

// [messaging] address_style: "v1" and "v2" as they say; "auto" takes v2 for RabbitMQ 4 and
// later and v1 for everything else (RabbitMQ 3.x, and brokers that ignore the form).
AddressStyle address_style(const std::string& configured, const BrokerInfo& broker);

// The target address to publish to `exchange` (the event type goes as the subject).
std::string exchange_address(AddressStyle style, const std::string& exchange);
// The source address to receive from an existing queue: "/amq/queue/<name>" (v1) or
// "/queues/<name>" (v2, percent-encoded).
std::string queue_address(AddressStyle style, const std::string& queue);

}  // namespace notify::handlers::amqp
