// Consumers of Pulp 2's event listeners and of the organisation system's AMQP trigger, as
// their users run them today (tests/amqp/legacy_consumer.py), receiving from the installed
// notify configured as docs/migrating.md says.
#include <catch2/catch.hpp>

#include "cli_setup.hpp"
#include "pika.hpp"

using namespace notify;
using namespace notify::test;

TEST_CASE("a Pulp 2 consumer reads event_type, payload and call_report with no --format on the listener",
          "[cli][e2e][migration]") {
    Setup s;
    const auto& broker = Broker::get();
    const std::string exchange = unique("pulp");
    // [messaging] default_format = pulp, here from the environment.
    s.env.push_back("NOTIFY_MESSAGING__DEFAULT_FORMAT=pulp");
    const auto created = s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.#", "--exchange", exchange});
    INFO(created.err);
    REQUIRE(created.code == 0);
    CHECK(nlohmann::json::parse(created.out).at("format") == "pulp");
    PikaConsumer consumer({"pulp2", broker.amqp_port(), exchange, "2", "20"}, "legacy_consumer.py");
    const nlohmann::json report = {{"task_id", "7d0b1c8e-6a55-4e0e-a9f3-0c3a1b6a2f10"}, {"state", "finished"}};
    auto fired = s.run({"event", "fire", "repo.sync.finish", "--data", R"({"repo_id": "zoo", "result": "success"})",
                        "--call-report", report.dump(), "--wait", "20"});
    INFO(fired.err);
    CHECK(fired.code == 0);
    fired = s.run({"event", "fire", "repo.publish.start", "--data", R"({"repo_id": "zoo"})", "--wait", "20"});
    CHECK(fired.code == 0);
    const auto got = consumer.messages();
    REQUIRE(got.size() == 2);
    CHECK(got[0].at("routing_key") == "pulp.server.repo.sync.finish");
    CHECK(got[0].at("event_type") == "repo.sync.finish");
    CHECK(got[0].at("payload") == nlohmann::json{{"repo_id", "zoo"}, {"result", "success"}});
    CHECK(got[0].at("call_report") == report);
    CHECK(got[1].at("event_type") == "repo.publish.start");
    CHECK(got[1].at("call_report").is_null());  // fired outside a task
    // A --call-report that is not JSON is refused, naming the flag; nothing is stored.
    const auto bad = s.run({"event", "fire", "repo.sync.start", "--call-report", "{task", "--wait", "5"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("--call-report is not JSON") != std::string::npos);
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("an organisation-system consumer declaring its exchange non-durable reads uuid and the day meant",
          "[cli][e2e][migration]") {
    Setup s;
    const auto& broker = Broker::get();
    const std::string exchange = unique("os2mo");
    s.env.push_back("NOTIFY_MESSAGING__EXCHANGE_DURABLE=false");
    s.env.push_back("NOTIFY_MESSAGING__TOPIC_EXCHANGE=" + exchange);
    // notify first: it creates the exchange as the consumer declares it, or the consumer's
    // declaration would fail with 406 PRECONDITION_FAILED (inequivalent arg 'durable').
    const auto created = s.run({"listener", "amqp", "create", "--event-type", "employee.#", "--event-type",
                                "org_unit.#", "--format", "data"});
    INFO(created.err);
    REQUIRE(created.code == 0);
    CHECK(broker.api("/api/exchanges/%2F/" + exchange).at("durable") == false);
    PikaConsumer consumer({"os2mo", broker.amqp_port(), exchange, "2", "20"}, "legacy_consumer.py");
    const std::string uuid = "4c3e0b6e-7c1d-4f55-9a7e-2b8f1c0d9e11";
    for (const char* type : {"employee.it.create", "org_unit.manager.delete"}) {
        const auto fired = s.run({"event", "fire", type, "--data",
                                  R"({"uuid": ")" + uuid + R"(", "time": "2027-01-01T00:00:00+01:00"})", "--wait", "20"});
        INFO(fired.err);
        CHECK(fired.code == 0);
    }
    const auto got = consumer.messages();
    REQUIRE(got.size() == 2);
    CHECK(got[0].at("routing_key") == "employee.it.create");
    CHECK(got[1].at("routing_key") == "org_unit.manager.delete");
    for (const auto& m : got) {
        CHECK(m.at("uuid") == uuid);
        CHECK(m.at("date") == "2027-01-01");  // not the day before
        CHECK(m.at("utcoffset") == 3600.0);
    }
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}
