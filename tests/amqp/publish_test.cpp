// The amqp handler against a real RabbitMQ with its AMQP 1.0 plugin: formats, routing,
// exchange creation, seen by a Proton consumer and by a pika (AMQP 0-9-1) consumer.
#include <catch2/catch.hpp>

#include <set>

#include "amqp_notifier.hpp"
#include "expected_message.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/well_known.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "pika.hpp"

using namespace notify::core;
using namespace notify::test;
using notify::handlers::amqp::Consumer;
using namespace std::chrono_literals;

namespace {

// Every format, and cloudevents in both AMQP content modes.
const std::vector<std::pair<std::string, std::string>> formats_and_modes{
    {"cloudevents", "binary"}, {"cloudevents", "structured"}, {"data", "binary"}, {"pulp", "binary"}};

}  // namespace

TEST_CASE("each format arrives as consumers expect it (Proton consumer)", "[amqp]") {
    for (const auto& [format, mode] : formats_and_modes) {
        INFO(format << " " << mode);
        const std::string exchange = unique("notify-test-" + format);
        AmqpNotifier n({{{"#"}, format, exchange}}, Broker::get().messaging("cloudevents_mode = " + mode + "\n"));
        notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
        Consumer consumer(Broker::get().messaging(), exchange, "#");
        std::map<std::string, Event> sent;  // by delivery id
        std::vector<std::string> order;
        for (const auto& e : mixed_events()) {
            order.push_back(n.notifier->fire(e).deliveries.at(0).delivery_id);
            sent.emplace(order.back(), e);
        }
        REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 20s));
        for (std::size_t i = 0; i < sent.size(); ++i) {
            const auto m = consumer.next(10s);
            REQUIRE(m.has_value());
            CHECK(m->message_id == order.at(i));  // in fire order
            REQUIRE(sent.count(m->message_id) == 1);
            const Event& e = sent.at(m->message_id);
            const auto expected = expected_message(e, format, mode);
            CHECK(m->subject == expected.subject);
            CHECK(m->content_type == expected.content_type);
            CHECK(nlohmann::json::parse(m->body) == nlohmann::json::parse(expected.body));
            CHECK(m->properties == expected.attributes);
            CHECK(m->durable);
            REQUIRE(m->creation_time.has_value());
            CHECK(std::chrono::floor<std::chrono::milliseconds>(*m->creation_time) ==
                  std::chrono::floor<std::chrono::milliseconds>(e.time()));
        }
        CHECK_FALSE(consumer.next(300ms).has_value());  // nothing extra
        notify::test::Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
    }
}

TEST_CASE("each format arrives as an AMQP 0-9-1 consumer expects it (pika)", "[amqp]") {
    for (const auto& [format, mode] : formats_and_modes) {
        INFO(format << " " << mode);
        const std::string exchange = unique("notify-test-pika-" + format);
        notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
        const auto events = mixed_events();
        PikaConsumer pika({Broker::get().amqp_port(), "bind", exchange, "#", std::to_string(events.size()), "15"});
        AmqpNotifier n({{{"#"}, format, exchange}}, Broker::get().messaging("cloudevents_mode = " + mode + "\n"));
        std::map<std::string, Event> sent;
        for (const auto& e : events) sent.emplace(n.notifier->fire(e).deliveries.at(0).delivery_id, e);
        const auto received = pika.messages();
        REQUIRE(received.size() == events.size());
        for (const auto& m : received) {
            const std::string id = m.at("message_id");
            REQUIRE(sent.count(id) == 1);
            const auto expected = expected_message(sent.at(id), format, mode);
            CHECK(m.at("routing_key") == expected.subject);
            CHECK(m.at("content_type") == expected.content_type);
            CHECK(m.at("delivery_mode") == 2);
            CHECK(nlohmann::json::parse(m.at("body").get<std::string>()) == nlohmann::json::parse(expected.body));
            // RabbitMQ 3.10 does not turn application properties into 0-9-1 headers of their
            // own: it keeps them, encoded, in one header (decoded by the consumer script).
            for (const auto& [name, value] : expected.attributes) CHECK_FALSE(m.at("headers").contains(name));
            CHECK(m.at("amqp10_app_properties").get<std::map<std::string, std::string>>() == expected.attributes);
        }
        notify::test::Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
    }
}

TEST_CASE("kombu accepting only json decodes the default cloudevents message to a dict", "[amqp]") {
    const std::string exchange = unique("notify-test-kombu");
    notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
    const auto events = mixed_events();
    PikaConsumer kombu({Broker::get().amqp_port(), exchange, "#", std::to_string(events.size()), "15"}, "kombu_consumer.py");
    AmqpNotifier n({{{"#"}, "cloudevents", exchange}});  // [messaging] cloudevents_mode: binary by default
    for (const auto& e : events) n.notifier->fire(e);
    const auto received = kombu.messages();
    REQUIRE(received.size() == events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        INFO(received[i].dump());
        CHECK_FALSE(received[i].contains("error"));  // no ContentDisallowed
        CHECK(received[i].value("type", "") == "dict");
        CHECK(received[i].value("content_type", "") == "application/json");
        CHECK(received[i].value("body", nlohmann::json()) == events[i].data());
    }
    // Structured mode is what kombu's safe setting refuses: the test can tell.
    const std::string structured = unique("notify-test-kombu-structured");
    notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), structured);
    PikaConsumer refusing({Broker::get().amqp_port(), structured, "#", "1", "15"}, "kombu_consumer.py");
    AmqpNotifier s({{{"#"}, "cloudevents", structured}}, Broker::get().messaging("cloudevents_mode = structured\n"));
    s.notifier->fire(events.at(0));
    const auto refused = refusing.messages();
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].value("error", "").find("ContentDisallowed") != std::string::npos);
    for (const auto& name : {exchange, structured}) Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + name);
}

TEST_CASE("the data format gives the older organisation messages exactly", "[amqp]") {
    const std::string exchange = unique("notify-test-mo");
    AmqpNotifier n({{{"employee.#", "org_unit.#"}, "data", exchange}});
    notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
    Consumer consumer(Broker::get().messaging(), exchange, "employee.it.create");
    n.notifier->fire(org_event(OrgService::employee, OrgObject::it, OrgAction::create,
                               "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11", parse_zoned("2027-01-01T00:00:00+01:00")));
    const auto m = consumer.next(10s);
    REQUIRE(m.has_value());
    CHECK(m->subject == "employee.it.create");
    // The effective time as the host gave it, offset kept, as Python's isoformat() wrote it.
    CHECK(m->body == R"({"time":"2027-01-01T00:00:00+01:00","uuid":"4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11"})");
    notify::test::Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("a named exchange that did not exist is created as a durable topic exchange", "[amqp]") {
    const std::string exchange = unique("notify-test-new");
    const auto& broker = Broker::get();
    CHECK(broker.api("/api/exchanges/%2F/" + exchange).is_null());
    AmqpNotifier n({{{"repo.#"}, "cloudevents", exchange}});
    n.notifier->fire(repo_started(RepoOperation::sync, "zoo"));
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 20s));
    const auto info = broker.api("/api/exchanges/%2F/" + exchange);
    REQUIRE(info.is_object());
    CHECK(info.at("type") == "topic");
    CHECK(info.at("durable") == true);
    CHECK(info.at("auto_delete") == false);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("bindings receive exactly their subsets of a mixed stream", "[amqp]") {
    const std::string exchange = unique("notify-test-routing");
    notify::handlers::amqp::ensure_exchange(Broker::get().messaging(), exchange);
    Consumer finishes(Broker::get().messaging(), exchange, "repo.*.finish");
    Consumer employees(Broker::get().messaging(), exchange, "employee.#");
    Consumer everything(Broker::get().messaging(), exchange, "#");
    AmqpNotifier n({{{"#"}, "cloudevents", exchange}});
    std::multiset<std::string> fired;
    for (int round = 0; round < 4; ++round) {
        for (const auto& e : mixed_events()) {
            n.notifier->fire(e);
            fired.insert(e.type());
        }
    }
    REQUIRE(n.notifier->flush(std::chrono::steady_clock::now() + 20s));
    const auto drain = [](Consumer& c) {
        std::multiset<std::string> got;
        while (auto m = c.next(1500ms)) got.insert(m->subject);
        return got;
    };
    const auto subset = [&](const std::string& pattern) {
        std::multiset<std::string> out;
        for (const auto& t : fired) {
            if (TopicPattern(pattern).matches(t)) out.insert(t);
        }
        return out;
    };
    CHECK(drain(finishes) == subset("repo.*.finish"));
    CHECK(drain(employees) == subset("employee.#"));
    CHECK(drain(everything) == fired);
    CHECK(subset("repo.*.finish").size() == 8);
    CHECK(subset("employee.#").size() == 4);
    Broker::get().api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("a consumer leaves no queue behind", "[amqp]") {
    std::string queue;
    {
        Consumer c(Broker::get().messaging(), "amq.topic", "nothing.here");
        queue = c.queue();
        CHECK(Broker::get().api("/api/queues/%2F/" + queue).is_object());
    }
    CHECK(Broker::get().api("/api/queues/%2F/" + queue).is_null());
}
