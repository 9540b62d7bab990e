// Consumers of Pulp 2's event listeners and of the organisation system's AMQP trigger, as
// their users run them today (tests/amqp/legacy_consumer.py), receiving from the installed
// notify configured as docs/migrating.md says.
#include <catch2/catch.hpp>

#include <algorithm>

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

TEST_CASE("listener --property and --amqp-header reach a 0-9-1 consumer, with the host's correlation id",
          "[cli][e2e][migration]") {
    Setup s;
    const auto& broker = Broker::get();
    const std::string exchange = unique("zato");
    const auto created = s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.sync.finish", "--exchange",
                                exchange, "--property", "app-id=pulp-notify", "--property", "priority=7", "--property",
                                "ttl=10m", "--property", "content-encoding=identity", "--property", "user-id=guest",
                                "--amqp-header", "X-Origin={source}", "--amqp-header", "repo={data.repo_id}"});
    INFO(created.err);
    REQUIRE(created.code == 0);
    const auto listener = nlohmann::json::parse(created.out);
    CHECK(listener.at("settings").at("properties") ==
          nlohmann::json{{"app-id", "pulp-notify"}, {"priority", "7"}, {"ttl", "10m"},
                         {"content-encoding", "identity"}, {"user-id", "guest"}});
    CHECK(listener.at("settings").at("headers") == nlohmann::json{{"X-Origin", "{source}"}, {"repo", "{data.repo_id}"}});
    PikaConsumer consumer({broker.amqp_port(), "bind", exchange, "#", "2", "20"});
    auto fired = s.run({"event", "fire", "repo.sync.finish", "--data", R"({"repo_id": "zoo"})", "--source", "pulp-1",
                        "--correlation-id", "task-42", "--wait", "20"});
    INFO(fired.err);
    CHECK(fired.code == 0);
    // A listener's correlation-id wins over the host's.
    const auto updated = s.run({"listener", "amqp", "update", "--listener-id", listener.at("id"), "--property",
                                "correlation-id=repo-{data.repo_id}", "--property", "priority=2"});
    INFO(updated.err);
    REQUIRE(updated.code == 0);
    fired = s.run({"event", "fire", "repo.sync.finish", "--data", R"({"repo_id": "ape"})", "--correlation-id", "task-43",
                   "--wait", "20"});
    CHECK(fired.code == 0);
    const auto got = consumer.messages();
    REQUIRE(got.size() == 2);
    const auto& first = got[0];
    CHECK(first.at("priority") == 7);
    CHECK(first.at("expiration") == "600000");  // ttl in milliseconds
    CHECK(first.at("content_encoding") == "identity");
    CHECK(first.at("user_id") == "guest");
    CHECK(first.at("correlation_id") == "task-42");
    const auto app = first.at("amqp10_app_properties");
    CHECK(app.at("X-Origin") == "pulp-1");
    CHECK(app.at("repo") == "zoo");
    CHECK(app.at("event-type") == "repo.sync.finish");
    CHECK(app.at("event-source") == "pulp-1");
    CHECK(app.at("event-time").get<std::string>().back() == 'Z');
    // RabbitMQ 3.10 has no 0-9-1 field for AMQP 1.0's group-id (3.13 and later show it as app_id).
    // The properties section as a list, trailing empty fields left out: group-id is the 11th.
    const auto group_id = [](const nlohmann::json& m) {
        const auto& p = m.at("amqp10_properties");
        return p.size() > 10 ? p.at(10) : nlohmann::json();
    };
    CHECK(group_id(first) == "pulp-notify");
    const auto& second = got[1];
    CHECK(second.at("priority") == 2);
    CHECK(second.at("correlation_id") == "repo-ape");
    // The update replaced the whole set of properties, as --event-type replaces the list.
    CHECK(group_id(second).is_null());
    CHECK(second.at("expiration").is_null());
    CHECK(second.at("amqp10_app_properties").at("repo") == "ape");  // headers not given: kept
    broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
}

TEST_CASE("a bad --property or --amqp-header names the flag and stores nothing", "[cli][e2e][migration]") {
    Setup s;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--property", "priorty=3"}, "--property 'priorty=3': unknown property 'priorty'; did you mean priority?"},
        {{"--property", "priority=300"}, "the priority must be a whole number from 0 to 255"},
        {{"--property", "ttl=soon"}, "--property 'ttl=soon': expected a duration"},
        {{"--property", "user-id=admin"}, "RabbitMQ accepts only the user notify connects as, 'guest'"},
        {{"--property", "app-id"}, "--property 'app-id': expected NAME=VALUE"},
        {{"--amqp-header", "event-type=x"}, "notify sets 'event-type' itself"},
        {{"--amqp-header", "X-Repo={data.repo_id"}, "a '{' without its '}'"},
        {{"--amqp-header", "X-Repo={repo}"}, "unknown placeholder {repo}; did you mean {data.repo}?"},
        {{"--property", "priority=1", "--property", "priority=2"}, "--property gives 'priority' twice"},
        {{"--amqp-header", "X-Repo=a", "--amqp-header", "X-Repo=b"}, "--amqp-header gives 'X-Repo' twice"},
    };
    for (const auto& [flags, error] : cases) {
        std::vector<std::string> args{"listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "x"};
        args.insert(args.end(), flags.begin(), flags.end());
        const auto r = s.run(args);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(r.err.find(error) != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    const auto list = s.run({"--json", "listener", "list"});
    CHECK(nlohmann::json::parse(list.out).empty());

    // An update that changes nothing is a mistake too; the listener stays as it was.
    const auto created = s.run({"--json", "listener", "amqp", "create", "--event-type", "repo.#", "--exchange", "x"});
    REQUIRE(created.code == 0);
    const std::string id = nlohmann::json::parse(created.out).at("id");
    const auto nothing = s.run({"listener", "amqp", "update", "--listener-id", id});
    CHECK(nothing.code == 2);
    CHECK(nothing.err == "notify: nothing to change: give at least one option besides --listener-id (see --help)\n");
    const auto shown = nlohmann::json::parse(s.run({"--json", "listener", "show", id}).out);
    CHECK(shown.at("updated") == nlohmann::json::parse(created.out).at("updated"));
}
