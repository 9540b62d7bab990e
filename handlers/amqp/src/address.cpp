// Address forms of RabbitMQ 3.x (v1) and 4.x (v2).
#include "address.hpp"

#include <cctype>

#include "http_client.hpp"

namespace notify::handlers::amqp {

namespace {

std::string text_property(const std::map<proton::symbol, proton::value>& properties, const char* key) {
    const auto it = properties.find(proton::symbol(key));
    if (it == properties.end()) return {};
    if (it->second.type() == proton::STRING) return proton::get<std::string>(it->second);
    if (it->second.type() == proton::SYMBOL) return proton::get<proton::symbol>(it->second);
    return {};
}

// The leading number of a version text ("4.0.5" -> 4); 0 when there is none.
int major_version(const std::string& version) {
    int major = 0;
    for (const char c : version) {
        if (!std::isdigit(static_cast<unsigned char>(c))) break;
        major = major * 10 + (c - '0');
        if (major > 10000) break;
    }
    return major;
}

}  // namespace

BrokerInfo broker_info(const std::map<proton::symbol, proton::value>& open_properties) {
    return {text_property(open_properties, "product"), text_property(open_properties, "version")};
}

AddressStyle address_style(const std::string& configured, const BrokerInfo& broker) {
    if (configured == "v1") return AddressStyle::v1;
    if (configured == "v2") return AddressStyle::v2;
    return broker.product == "RabbitMQ" && major_version(broker.version) >= 4 ? AddressStyle::v2 : AddressStyle::v1;
}

std::string exchange_address(AddressStyle style, const std::string& exchange) {
    return style == AddressStyle::v2 ? "/exchanges/" + curl::escape_segment(exchange) : "/exchange/" + exchange;
}

std::string queue_address(AddressStyle style, const std::string& queue) {
    return style == AddressStyle::v2 ? "/queues/" + curl::escape_segment(queue) : "/amq/queue/" + queue;
}

}  // namespace notify::handlers::amqp
