// Notifier::metrics_text(), metrics() and health(): what a Prometheus scrape and a health
// check see of this process's deliveries and its outbox.
#include <catch2/catch.hpp>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <sstream>
#include <thread>

#include "notifier_fixture.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// "name{labels} value" lines of a Prometheus text page, by everything before the value.
std::map<std::string, double> samples(const std::string& page) {
    std::map<std::string, double> out;
    std::istringstream lines(page);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

double sample(const std::string& page, const std::string& series) {
    const auto all = samples(page);
    const auto it = all.find(series);
    INFO(page);
    REQUIRE(it != all.end());
    return it->second;
}

std::string outcome(const Listener& l, const char* outcome) {
    return "notify_deliveries_total{kind=\"test\",listener=\"" + l.id + "\",outcome=\"" + outcome + "\"}";
}

}  // namespace

TEST_CASE("metrics count each listener's outcomes and show what its outbox holds", "[notifier][metrics]") {
    NotifierFixture f;
    auto options = f.options();
    options.retry.max_attempts = 50;
    ListenerStore store(f.store);
    const auto flaky = store.create(f.listener({"flaky.#"}, {{"mode", "flaky"}, {"fail_times", 2}}));
    const auto rejecting = store.create(f.listener({"rejected.#"}, {{"mode", "reject"}}));
    const auto idle = store.create(f.listener({"idle.#"}));
    Notifier notifier(options);

    // Before any delivery: every listener's counters are there, at 0, and nothing is pending.
    auto page = notifier.metrics_text();
    CHECK(sample(page, outcome(idle, "delivered")) == 0);
    CHECK(sample(page, outcome(idle, "dead")) == 0);
    CHECK(sample(page, "notify_outbox_pending{listener=\"" + idle.id + "\"}") == 0);
    CHECK(sample(page, "notify_handler_up{kind=\"test\"}") == 1);
    CHECK_THAT(page, Contains("# TYPE notify_deliveries_total counter") &&
                         Contains("# TYPE notify_delivery_duration_seconds histogram") &&
                         Contains("# TYPE notify_outbox_oldest_pending_seconds gauge"));

    notifier.fire(Event("flaky.one"));
    notifier.fire(Event("flaky.two"));
    notifier.fire(Event("rejected.one"));
    REQUIRE(notifier.flush(in(5s)));
    page = notifier.metrics_text();
    CHECK(sample(page, outcome(flaky, "delivered")) == 2);
    CHECK(sample(page, outcome(flaky, "retried")) == 4);
    CHECK(sample(page, outcome(flaky, "dead")) == 0);
    CHECK(sample(page, outcome(rejecting, "dead")) == 1);
    CHECK(sample(page, outcome(rejecting, "delivered")) == 0);
    CHECK(sample(page, outcome(idle, "delivered")) == 0);
    // Fire to confirmation: two deliveries, each after two retries of at least 10 ms.
    CHECK(sample(page, "notify_delivery_duration_seconds_count{kind=\"test\"}") == 2);
    CHECK(sample(page, "notify_delivery_duration_seconds_sum{kind=\"test\"}") >= 0.02);
    CHECK(sample(page, "notify_delivery_duration_seconds_bucket{kind=\"test\",le=\"+Inf\"}") == 2);
    CHECK(sample(page, "notify_dead_letters{listener=\"" + rejecting.id + "\"}") == 1);
    CHECK(sample(page, "notify_outbox_pending{listener=\"" + flaky.id + "\"}") == 0);
    CHECK(sample(page, "notify_outbox_oldest_pending_seconds{listener=\"" + flaky.id + "\"}") == 0);
}

TEST_CASE("an undelivered event shows as pending with its age, from a process that only stores",
          "[notifier][metrics]") {
    NotifierFixture f;
    auto options = f.options();
    const auto l = ListenerStore(f.store).create(f.listener({"#"}));
    options.dispatch = false;
    Notifier notifier(options);
    notifier.fire(Event("a.b"));
    std::this_thread::sleep_for(300ms);
    const auto page = notifier.metrics_text();
    CHECK(sample(page, "notify_outbox_pending{listener=\"" + l.id + "\"}") == 1);
    const double age = sample(page, "notify_outbox_oldest_pending_seconds{listener=\"" + l.id + "\"}");
    CHECK(age >= 0.3);
    CHECK(age < 5);
    // This process attempts nothing: it has no counters of its own.
    CHECK(samples(page).count(outcome(l, "delivered")) == 0);
}

TEST_CASE("health fails while a handler keeps failing longer than allowed, and recovers once it gets through",
          "[notifier][metrics][health]") {
    NotifierFixture f;
    auto options = f.options();
    options.retry.max_attempts = 0;
    auto l = ListenerStore(f.store).create(f.listener({"#"}, {{"mode", "retry"}}));
    Notifier notifier(options);
    CHECK(notifier.health(0ms).healthy);  // nothing attempted yet
    notifier.fire(Event("a.b"));
    // Wait for the first retries.
    for (int i = 0; i < 200 && sample(notifier.metrics_text(), outcome(l, "retried")) < 2; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(20ms);
    CHECK(sample(notifier.metrics_text(), "notify_handler_up{kind=\"test\"}") == 0);
    CHECK(notifier.health(1h).healthy);  // not for long enough yet
    const auto sick = notifier.health(10ms);
    CHECK_FALSE(sick.healthy);
    CHECK_THAT(sick.reason, Contains("the test handler has been failing for") && Contains("server busy"));

    // The receiving end is fixed: the next attempt gets through.
    l.settings = {{"mode", "ok"}};
    notifier.listeners().update(l);
    REQUIRE(notifier.flush(in(5s)));
    const auto page = notifier.metrics_text();
    CHECK(sample(page, "notify_handler_up{kind=\"test\"}") == 1);
    CHECK(sample(page, outcome(l, "delivered")) == 1);
    const auto well = notifier.health(0ms);
    CHECK(well.healthy);
    CHECK(well.reason.empty());
}

TEST_CASE("a handler whose last listener is deleted no longer counts against health", "[notifier][metrics][health]") {
    NotifierFixture f;
    auto options = f.options();
    options.retry.max_attempts = 0;
    const auto l = ListenerStore(f.store).create(f.listener({"#"}, {{"mode", "retry"}}));
    Notifier notifier(options);
    notifier.fire(Event("a.b"));
    for (int i = 0; i < 200 && notifier.health(10ms).healthy; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE_FALSE(notifier.health(10ms).healthy);
    notifier.listeners().remove(l.id);
    bool healthy = false;
    for (int i = 0; i < 200 && !healthy; ++i) {
        std::this_thread::sleep_for(10ms);
        healthy = notifier.health(0ms).healthy;
    }
    CHECK(healthy);
    CHECK(notifier.metrics_text().find("notify_handler_up{kind=\"test\"}") == std::string::npos);
}

TEST_CASE("metrics() gives a prometheus-cpp exposer the same families, and nothing once the notifier is gone",
          "[notifier][metrics]") {
    NotifierFixture f;
    const auto l = ListenerStore(f.store).create(f.listener({"#"}));
    auto notifier = std::make_unique<Notifier>(f.options());
    notifier->fire(Event("a.b"));
    REQUIRE(notifier->flush(in(5s)));
    const auto held = notifier->metrics().lock();  // as an exposer holds it during a scrape
    REQUIRE(held);
    const auto families = held->Collect();
    const auto it = std::find_if(families.begin(), families.end(),
                                 [](const auto& family) { return family.name == "notify_outbox_pending"; });
    REQUIRE(it != families.end());
    REQUIRE(it->metric.size() == 1);
    CHECK(it->metric[0].label.at(0).value == l.id);
    const auto weak = notifier->metrics();
    notifier.reset();
    CHECK(weak.expired() == false);  // still held above
    CHECK(held->Collect().empty());
}
