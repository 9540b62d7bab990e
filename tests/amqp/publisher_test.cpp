// The publisher's connection states and send deadlines, against an in-process AMQP 1.0 peer
// that takes messages and never settles them (no broker: a broker always answers).
#include <catch2/catch.hpp>

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "publisher.hpp"

using namespace notify::handlers::amqp;
using notify::core::DeliveryResult;
using namespace std::chrono_literals;

namespace {

// Accepts connections and links on a free loopback port, counts the messages it receives,
// and settles none of them.
class SilentPeer : public proton::messaging_handler {
public:
    SilentPeer() : container_(*this, "silent-peer") {
        std::promise<int> port;
        auto bound = port.get_future();
        container_.schedule(proton::duration(0), [this, &port] {
            listener_ = container_.listen("127.0.0.1:0");
            port.set_value(listener_.port());
        });
        thread_ = std::thread([this] { container_.run(); });
        port_ = bound.get();
    }
    ~SilentPeer() override {
        container_.stop();
        thread_.join();
    }
    std::string url() const { return "amqp://127.0.0.1:" + std::to_string(port_); }
    int received() const { return received_; }

    void on_receiver_open(proton::receiver& r) override {
        if (r.active()) return;
        r.open(proton::receiver_options().auto_accept(false).credit_window(100));
    }
    void on_message(proton::delivery&, proton::message&) override { ++received_; }

private:
    proton::container container_;
    proton::listener listener_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<int> received_{0};
};

AmqpSettings settings_for(const std::string& url) {
    AmqpSettings s;
    s.urls = {url};
    s.address_style = "v1";
    return s;
}

// What one publish_async() reported, and when.
struct Reported {
    DeliveryResult result;
    SendFailure failure;
    std::chrono::steady_clock::time_point at;
};

std::future<Reported> publish(Publisher& p, std::chrono::steady_clock::time_point deadline) {
    auto promise = std::make_shared<std::promise<Reported>>();
    proton::message m("body");
    p.publish_async("pulp", m, deadline, [promise](DeliveryResult r, SendFailure f) {
        promise->set_value({std::move(r), f, std::chrono::steady_clock::now()});
    });
    return promise->get_future();
}

}  // namespace

TEST_CASE("a send the peer never settles becomes retry at its deadline, not later", "[amqp][unit]") {
    SilentPeer peer;
    Publisher publisher(settings_for(peer.url()), nullptr);
    REQUIRE(publisher.connected(std::chrono::steady_clock::now() + 5s));

    // The watchdog sleeps until the earliest deadline: each outcome comes at its own
    // deadline, the nearer one first (with a once-a-second poll both came at the next tick).
    const auto later_deadline = std::chrono::steady_clock::now() + 600ms;
    const auto sooner_deadline = std::chrono::steady_clock::now() + 150ms;
    auto later = publish(publisher, later_deadline);
    auto sooner = publish(publisher, sooner_deadline);
    REQUIRE(sooner.wait_for(5s) == std::future_status::ready);
    CHECK(later.wait_for(0s) == std::future_status::timeout);
    const auto first = sooner.get();
    CHECK(first.result.outcome() == DeliveryResult::Outcome::retry);
    CHECK(first.result.detail().find("did not confirm") != std::string::npos);
    CHECK(first.failure == SendFailure::none);
    CHECK(first.at >= sooner_deadline);
    CHECK(first.at < sooner_deadline + 300ms);
    const auto second = later.get();
    CHECK(second.result.outcome() == DeliveryResult::Outcome::retry);
    CHECK(second.at >= later_deadline);
    CHECK(second.at < later_deadline + 300ms);
    CHECK(peer.received() == 2);  // both were sent; only the confirmation never came
}

TEST_CASE("close() gives every unsettled send retry before it returns, and refuses sends after it", "[amqp][unit]") {
    SilentPeer peer;
    Publisher publisher(settings_for(peer.url()), nullptr);
    REQUIRE(publisher.connected(std::chrono::steady_clock::now() + 5s));
    auto pending = publish(publisher, std::chrono::steady_clock::now() + 60s);
    while (peer.received() < 1) std::this_thread::sleep_for(5ms);

    publisher.close(std::chrono::steady_clock::now() + 2s);
    REQUIRE(pending.wait_for(0s) == std::future_status::ready);
    const auto unsettled = pending.get();
    CHECK(unsettled.result.outcome() == DeliveryResult::Outcome::retry);
    CHECK(unsettled.result.detail() == "notify is shutting down");

    auto after = publish(publisher, std::chrono::steady_clock::now() + 60s);
    REQUIRE(after.wait_for(0s) == std::future_status::ready);  // answered on the calling thread
    const auto refused = after.get();
    CHECK(refused.result.outcome() == DeliveryResult::Outcome::retry);
    CHECK(refused.result.detail() == "the AMQP connection is closing");
    CHECK_FALSE(publisher.connected(std::chrono::steady_clock::now()));
    CHECK(peer.received() == 1);
}

TEST_CASE("with nothing listening, a send is retry at once, naming the failed connection", "[amqp][unit]") {
    // A port that was free a moment ago: the peer is gone before the publisher connects.
    std::string url;
    {
        SilentPeer gone;
        url = gone.url();
    }
    Publisher publisher(settings_for(url), nullptr);
    CHECK_FALSE(publisher.connected(std::chrono::steady_clock::now() + 5s));
    CHECK(publisher.last_error().find("127.0.0.1") != std::string::npos);
    auto sent = publish(publisher, std::chrono::steady_clock::now() + 60s);
    REQUIRE(sent.wait_for(0s) == std::future_status::ready);
    const auto r = sent.get();
    CHECK(r.result.outcome() == DeliveryResult::Outcome::retry);
    CHECK(r.result.detail().rfind("not connected to the broker: ", 0) == 0);
}
