// Faults of the real RabbitMQ the fixture started for this suite (its own broker, since
// these cases kill, freeze and starve it), with the amqp handler delivering to a durable
// queue that a pika consumer drains at the end.
#include <sys/resource.h>

#include <cstdio>

#include "amqp_notifier.hpp"
#include "fault_table.hpp"
#include "firer.hpp"
#include "pika.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t window = 128;  // the amqp handler's deliveries in flight per listener

// An exchange with a durable queue bound to it (everything), a notifier with one listener
// publishing there, and the drain at the end.
struct AmqpCase {
    const Broker& broker = Broker::get();
    std::string exchange;
    std::string queue;
    std::unique_ptr<AmqpNotifier> n;

    explicit AmqpCase(const std::string& name, const std::string& queue_arguments = "{}") {
        exchange = unique("fault-" + name);
        queue = exchange + "-q";
        handlers::amqp::ensure_exchange(broker.messaging(), exchange);
        REQUIRE(broker.api_call("PUT", "/api/queues/%2F/" + queue,
                                R"({"durable":true,"auto_delete":false,"arguments":)" + queue_arguments + "}") == 201);
        REQUIRE(broker.api_call("POST", "/api/bindings/%2F/e/" + exchange + "/q/" + queue, R"({"routing_key":"#"})") == 201);
    }

    ~AmqpCase() {
        n.reset();
        broker.api_call("DELETE", "/api/queues/%2F/" + queue);
        broker.api_call("DELETE", "/api/exchanges/%2F/" + exchange);
    }

    // Retries never give up here: each case ends only when everything is confirmed.
    // With `deliver` false, fire() only stores until deliver() starts a delivering notifier.
    void start(nlohmann::json messaging = Broker::get().messaging(), bool deliver = true) {
        n = std::make_unique<AmqpNotifier>(std::vector<AmqpNotifier::ListenerSpec>{{{"repo.#"}, "data", exchange}},
                                           std::move(messaging), quick_retries(0), deliver);
    }

    void deliver() {
        n->notifier.reset();
        n->options.dispatch = true;
        n->start();
    }

    // Waits until everything fired is confirmed; how long that took.
    Clock::duration settle(std::chrono::seconds limit = 120s) const {
        const auto from = Clock::now();
        REQUIRE(n->notifier->flush(from + limit));
        CHECK(n->notifier->stats().at(0).dead == 0);
        return Clock::now() - from;
    }

    // The message ids of everything in the queue.
    std::vector<std::string> drain(std::size_t expected) const {
        PikaConsumer consumer({broker.amqp_port(), "drain", queue, std::to_string(expected * 2 + 1000), "3"});
        std::vector<std::string> ids;
        for (const auto& m : consumer.messages()) ids.push_back(m.at("message_id").get<std::string>());
        return ids;
    }
};

// rabbitmqctl against the suite's broker; its output.
std::string ctl(const std::string& args) {
    const std::string command = std::string(NOTIFY_SOURCE_DIR) + "/scripts/broker ctl " + Broker::get().dir + " " + args;
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    char buffer[512];
    while (fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
    REQUIRE(pclose(p) == 0);
    return out;
}

void wait_until(const std::function<bool()>& condition, std::chrono::seconds limit = 30s) {
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(20ms);
    }
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_CASE("RabbitMQ killed with SIGKILL with thousands of deliveries in flight, then restarted", "[faults][amqp]") {
    AmqpCase c("sigkill");
    // Stored first, then delivered: thousands are still to go when the broker is killed,
    // however fast this build fires compared with how fast it delivers.
    c.start(Broker::get().messaging(), false);
    auto fired = fire_burst(*c.n->notifier, 20000);
    c.deliver();
    // Kill it once deliveries are flowing.
    wait_until([&] { return c.n->notifier->stats().at(0).delivered >= 500; });
    const auto before = c.n->notifier->stats().at(0);
    INFO("delivered " << before.delivered << " of 20000 when the broker was killed");
    CHECK(before.delivered < 15000);
    c.broker.control("kill");
    Firer during(*c.n->notifier, 2ms);  // the host goes on firing while the broker is gone
    std::this_thread::sleep_for(2s);
    c.broker.control("restart");
    const auto& more = during.stop();
    fired.insert(fired.end(), more.begin(), more.end());
    const auto recovery = c.settle();
    record(tally("amqp", "broker SIGKILL mid-stream, restarted", fired, c.drain(fired.size()), window, recovery));
}

TEST_CASE("RabbitMQ down when the host starts", "[faults][amqp]") {
    AmqpCase c("down-at-start");
    c.broker.control("stop");
    c.start();
    auto fired = fire_burst(*c.n->notifier, 500);
    std::this_thread::sleep_for(2s);
    CHECK(c.n->notifier->stats().at(0).delivered == 0);
    c.broker.control("restart");
    const auto recovery = c.settle();
    record(tally("amqp", "broker down when the host starts", fired, c.drain(fired.size()), 0, recovery));
}

TEST_CASE("RabbitMQ closes the connection, twice", "[faults][amqp]") {
    AmqpCase c("close-connection");
    c.start();
    Firer firer(*c.n->notifier, 1ms);
    // RabbitMQ 3.10 lists no AMQP 1.0 connection for rabbitmqctl list_connections and
    // close_connection: end every connection of its AMQP listener from inside the broker.
    const std::string connections = "ranch:procs({acceptor, {127,0,0,1}, " + c.broker.amqp_port() + "}, connections)";
    for (int round = 0; round < 2; ++round) {
        wait_until([&] { return ctl("eval '" + connections + ".'") != "[]\n"; });  // (re)connected
        std::this_thread::sleep_for(1s);
        CHECK(ctl("eval '[exit(P, kill) || P <- " + connections + "].'") != "[]\n");
    }
    std::this_thread::sleep_for(1s);
    const auto& fired = firer.stop();
    const auto recovery = c.settle();
    std::size_t reconnects = 0;
    for (const auto& line : c.n->log->snapshot()) reconnects += line.find("reconnecting") != std::string::npos;
    CHECK(reconnects >= 2);
    record(tally("amqp", "connection closed by the broker (2x)", fired, c.drain(fired.size()), 2 * window, recovery));
}

TEST_CASE("RabbitMQ frozen with SIGSTOP for twice the idle timeout, then SIGCONT", "[faults][amqp]") {
    AmqpCase c("sigstop");
    c.start(c.broker.messaging("idle_timeout = 2s\n"));
    Firer firer(*c.n->notifier, 2ms);
    std::this_thread::sleep_for(1s);
    c.broker.control("pause");
    std::this_thread::sleep_for(4s);
    c.broker.control("resume");
    const auto& fired = firer.stop();
    const auto recovery = c.settle();
    record(tally("amqp", "broker frozen (SIGSTOP) for 2x idle timeout", fired, c.drain(fired.size()), window, recovery));
}

// RabbitMQ 3.10's AMQP 1.0 plugin does not block its publishers on an alarm (RabbitMQ fixed
// that in 3.11.x and 3.12.x, pull request 9953): deliveries go on while it is raised, and the
// case shows that raising and clearing it loses nothing.
TEST_CASE("a memory alarm is raised while publishing, then cleared", "[faults][amqp]") {
    AmqpCase c("memory-alarm");
    c.start();
    Firer firer(*c.n->notifier, 2ms);
    std::this_thread::sleep_for(1s);
    const auto alarms = [] { return ctl("eval 'rabbit_alarm:get_alarms().'"); };
    ctl("set_vm_memory_high_watermark 0.0000001");
    wait_until([&] { return alarms().find("memory") != std::string::npos; });
    std::this_thread::sleep_for(4s);
    ctl("set_vm_memory_high_watermark 0.4");
    wait_until([&] { return alarms() == "[]\n"; });
    const auto& fired = firer.stop();
    const auto recovery = c.settle();
    record(tally("amqp", "memory alarm raised for 4 s, then cleared", fired, c.drain(fired.size()), window, recovery));
}

TEST_CASE("the target exchange is deleted while publishing", "[faults][amqp]") {
    AmqpCase c("deleted-exchange");
    // Whatever the re-created exchange cannot route (its binding went with it) reaches the
    // queue through an alternate exchange that a policy attaches to it.
    const std::string sink = c.exchange + "-sink";
    REQUIRE(c.broker.api_call("PUT", "/api/exchanges/%2F/" + sink, R"({"type":"fanout","durable":true})") == 201);
    REQUIRE(c.broker.api_call("POST", "/api/bindings/%2F/e/" + sink + "/q/" + c.queue, "{}") == 201);
    REQUIRE(c.broker.api_call("PUT", "/api/policies/%2F/" + c.exchange,
                              R"({"pattern":"^)" + c.exchange + R"($","apply-to":"exchanges","definition":{"alternate-exchange":")" +
                                  sink + R"("}})") == 201);
    c.start();
    Firer firer(*c.n->notifier, 2ms);
    std::this_thread::sleep_for(1s);
    REQUIRE(c.broker.api_call("DELETE", "/api/exchanges/%2F/" + c.exchange) == 204);
    std::this_thread::sleep_for(2s);
    const auto& fired = firer.stop();
    const auto recovery = c.settle();
    CHECK(c.broker.api("/api/exchanges/%2F/" + c.exchange).is_object());  // the handler made it again
    record(tally("amqp", "target exchange deleted while publishing", fired, c.drain(fired.size()), window, recovery));
    c.broker.api_call("DELETE", "/api/policies/%2F/" + c.exchange);
    c.broker.api_call("DELETE", "/api/exchanges/%2F/" + sink);
}

TEST_CASE("a full queue with x-max-length and reject-publish refuses messages until it drains", "[faults][amqp]") {
    AmqpCase c("reject-publish", R"({"x-max-length":100,"x-overflow":"reject-publish"})");
    c.start();
    auto fired = fire_burst(*c.n->notifier, 1000);
    wait_until([&] { return c.n->notifier->stats().at(0).retried > 0; });
    // A consumer comes and takes everything as it arrives.
    PikaConsumer consumer({c.broker.amqp_port(), "drain", c.queue, std::to_string(fired.size()), "15"});
    const auto cleared = Clock::now();
    std::vector<std::string> received;
    for (const auto& m : consumer.messages()) received.push_back(m.at("message_id").get<std::string>());
    const auto recovery = Clock::now() - cleared;
    c.settle();
    const auto rest = c.drain(fired.size());
    received.insert(received.end(), rest.begin(), rest.end());
    record(tally("amqp", "queue full (x-max-length, reject-publish)", fired, received, window, recovery));
}

TEST_CASE("a wrong password: bounded backoff, the error in the delivery status, no hot loop", "[faults][amqp]") {
    AmqpCase c("wrong-password");
    const std::string user = c.exchange + "-user";
    // "management": the handler creates exchanges through the management API.
    REQUIRE(c.broker.api_call("PUT", "/api/users/" + user, R"({"password":"the-right-one","tags":"management"})") == 201);
    REQUIRE(c.broker.api_call("PUT", "/api/permissions/%2F/" + user, R"({"configure":".*","write":".*","read":".*"})") == 201);
    c.start(c.broker.messaging("", user + ":a-wrong-one"));
    const auto fired = fire_burst(*c.n->notifier, 20);
    const double cpu_before = cpu_seconds();
    std::this_thread::sleep_for(6s);
    const double cpu = cpu_seconds() - cpu_before;
    const auto stats = c.n->notifier->stats().at(0);
    const auto pending = c.n->notifier->pending(1);
    REQUIRE(pending.size() == 1);
    INFO("last error: " << pending[0].last_error << "; retried " << stats.retried << "; cpu " << cpu << " s");
    CHECK(stats.delivered == 0);
    CHECK(pending[0].last_error.find("amqp:unauthorized-access") != std::string::npos);
    CHECK(pending[0].last_error.find("a-wrong-one") == std::string::npos);
    CHECK(stats.retried <= 20 * 12);  // each delivery waits 100 ms doubling to 1 s between attempts
    CHECK(cpu < 1.0);                 // of 6 s: waiting, not spinning
    // The operator sets the password the listener was given: delivery resumes by itself.
    REQUIRE(c.broker.api_call("PUT", "/api/users/" + user, R"({"password":"a-wrong-one","tags":"management"})") == 204);
    const auto recovery = c.settle();
    record(tally("amqp", "wrong password for 6 s, then fixed", fired, c.drain(fired.size()), 0, recovery));
    c.broker.api_call("DELETE", "/api/users/" + user);
}
