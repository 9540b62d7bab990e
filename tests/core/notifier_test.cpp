// Notifier in one process: routing, retries, dead letters, isolation, ordering, delays,
// idleness, many firing threads, options, outcome hooks. What the store keeps across
// failures and restarts is in notifier_store_test.cpp.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <span>
#include <thread>

#include "notifier_fixture.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;
using Catch::Contains;

TEST_CASE("fire stores one delivery per matching listener and the handler gets it", "[notifier]") {
    NotifierFixture f;
    Notifier n(f.options());
    const auto repo = n.listeners().create(f.listener({"repo.#"}));
    const auto sync = n.listeners().create(f.listener({"repo.sync.*"}));
    const auto other = n.listeners().create(f.listener({"employee.#"}));
    n.stop(in(1s));
    Notifier notifier(f.options());  // loads the three listeners

    std::vector<std::string> on_bus;
    auto sub = notifier.bus().subscribe("#", [&](const Event& e) { on_bus.push_back(e.type()); });
    const Event e = repo_finished(RepoOperation::sync, "zoo", RepoResult::success);
    const FireReceipt receipt = notifier.fire(e);
    REQUIRE(receipt.deliveries.size() == 2);
    std::set<std::string> ids;
    for (const auto& d : receipt.deliveries) {
        ids.insert(d.listener_id);
        CHECK(d.delivery_id == delivery_id(e.id(), d.listener_id));
    }
    CHECK(ids == std::set<std::string>{repo.id, sync.id});
    CHECK(on_bus == std::vector<std::string>{"repo.sync.finish"});

    REQUIRE(notifier.flush(in(5s)));
    const auto all = f.recorder->all();
    CHECK(count_delivered(all, repo.id) == 1);
    CHECK(count_delivered(all, sync.id) == 1);
    CHECK(count_delivered(all, other.id) == 0);
    const auto attempt = f.recorder->delivered(repo.id).front();
    CHECK(attempt.event_id == e.id());
    CHECK(attempt.event_type == "repo.sync.finish");
    CHECK(attempt.attempt == 1);
    for (const auto& s : notifier.status(receipt)) CHECK(s.state == DeliveryStatus::State::delivered);

    CHECK(notifier.fire(Event("billing.paid")).deliveries.empty());
}

TEST_CASE("fire of a batch stores each event for its listeners, in order, and delivers them all", "[notifier]") {
    NotifierFixture f;
    ListenerStore store(f.store);
    const auto repo = store.create(f.listener({"repo.#"}));
    const auto org = store.create(f.listener({"employee.#"}));
    Notifier notifier(f.options());
    std::vector<std::string> on_bus;
    auto sub = notifier.bus().subscribe("#", [&](const Event& e) { on_bus.push_back(e.type()); });
    const std::vector<Event> events{Event("repo.sync.start"), Event("billing.paid"), Event("employee.it.create"),
                                    Event("repo.sync.finish")};
    const auto receipt = notifier.fire(std::span<const Event>(events));
    REQUIRE(receipt.deliveries.size() == 3);
    CHECK(receipt.deliveries[0].delivery_id == delivery_id(events[0].id(), repo.id));
    CHECK(receipt.deliveries[1].delivery_id == delivery_id(events[2].id(), org.id));
    CHECK(receipt.deliveries[2].delivery_id == delivery_id(events[3].id(), repo.id));
    CHECK(receipt.deliveries[0].seq < receipt.deliveries[1].seq);
    CHECK(receipt.deliveries[1].seq < receipt.deliveries[2].seq);
    CHECK(on_bus == std::vector<std::string>{"repo.sync.start", "billing.paid", "employee.it.create", "repo.sync.finish"});
    const auto statuses = notifier.wait(receipt, in(5s));
    for (const auto& s : statuses) CHECK(s.state == DeliveryStatus::State::delivered);
    CHECK(count_delivered(f.recorder->all(), repo.id) == 2);
    CHECK(count_delivered(f.recorder->all(), org.id) == 1);
    CHECK(notifier.fire(std::span<const Event>()).deliveries.empty());
}

TEST_CASE("a listener created through the notifier matches the very next fire", "[notifier]") {
    NotifierFixture f;
    for (const auto mode : {NotifierOptions::OutboxMode::durable, NotifierOptions::OutboxMode::memory}) {
        auto options = f.options();
        options.outbox = mode;
        options.poll_interval = 1h;  // no help from polling
        Notifier n(options);
        const auto l = n.listeners().create(f.listener({"repo.#"}));
        const auto receipt = n.fire(repo_started(RepoOperation::sync, "zoo"));
        REQUIRE(receipt.deliveries.size() == 1);
        CHECK(receipt.deliveries.at(0).listener_id == l.id);
        n.listeners().remove(l.id);
        CHECK(n.fire(repo_started(RepoOperation::sync, "zoo")).deliveries.empty());
    }
}

TEST_CASE("a handler failing k times then succeeding ends delivered", "[notifier]") {
    NotifierFixture f;
    Notifier n(f.options());
    const auto l = n.listeners().create(f.listener({"#"}, {{"mode", "flaky"}, {"fail_times", 3}}));
    n.stop(in(1s));
    Notifier notifier(f.options());
    const auto receipt = notifier.fire(Event("a.b"));
    REQUIRE(notifier.flush(in(5s)));
    const auto all = f.recorder->all();
    REQUIRE(all.size() == 4);
    for (int i = 0; i < 4; ++i) {
        CHECK(all[static_cast<std::size_t>(i)].attempt == i + 1);
        CHECK(all[static_cast<std::size_t>(i)].delivery_id == receipt.deliveries[0].delivery_id);
    }
    CHECK(all.back().outcome == "delivered");
    notifier.stop(in(2s));  // stores the counters
    Notifier reader(f.options());
    const auto s = stats_of(reader.stats(), l.id);
    CHECK(s.delivered == 1);
    CHECK(s.retried == 3);
    CHECK(s.pending == 0);
    CHECK(s.dead == 0);
}

TEST_CASE("an always failing delivery becomes a dead letter with its reason, and can be retried", "[notifier]") {
    NotifierFixture f;
    auto options = f.options();
    options.retry.max_attempts = 3;
    auto l = ListenerStore(f.store).create(f.listener({"#"}, {{"mode", "retry"}}));
    Notifier notifier(options);
    const auto receipt = notifier.fire(Event("a.b"));
    REQUIRE(notifier.flush(in(5s)));  // dead letters count as done
    CHECK(f.recorder->all().size() == 3);
    auto dead = notifier.dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].delivery_id == receipt.deliveries[0].delivery_id);
    CHECK(dead[0].attempts == 3);
    CHECK_THAT(dead[0].last_error, Contains("gave up after 3 attempts") && Contains("server busy"));
    CHECK(dead[0].event.at("type") == "a.b");
    CHECK(dead[0].dead_at.has_value());
    CHECK(notifier.status(receipt)[0].state == DeliveryStatus::State::dead);

    // The receiving end is fixed; the dead letter is retried and arrives.
    l.settings = {{"mode", "ok"}};
    notifier.listeners().update(l);
    std::this_thread::sleep_for(150ms);
    CHECK(notifier.retry_dead(receipt.deliveries[0].delivery_id) == 1);
    CHECK(notifier.retry_dead("no-such-delivery") == 0);
    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, l.id) == 1; }, 5s));
    CHECK(notifier.dead_letters().empty());
    CHECK(f.recorder->delivered(l.id).front().attempt == 1);  // attempts start over
}

TEST_CASE("a rejected delivery is a dead letter at once, and purge removes dead letters", "[notifier]") {
    NotifierFixture f;
    Notifier n(f.options());
    n.listeners().create(f.listener({"#"}, {{"mode", "reject"}}));
    n.stop(in(1s));
    Notifier notifier(f.options());
    notifier.fire(Event("a.b"));
    notifier.fire(Event("a.c"));
    REQUIRE(notifier.flush(in(5s)));
    CHECK(f.recorder->all().size() == 2);
    const auto dead = notifier.dead_letters();
    REQUIRE(dead.size() == 2);
    CHECK(dead[0].attempts == 1);
    CHECK(dead[0].last_error == "rejected: no such exchange");
    CHECK(notifier.purge_dead() == 2);
    CHECK(notifier.dead_letters().empty());
}

TEST_CASE("a hanging handler does not hold up other listeners", "[notifier]") {
    NotifierFixture f;
    Notifier n(f.options());
    const auto stuck = n.listeners().create(f.listener({"#"}, {{"mode", "hang"}}));
    const auto healthy = n.listeners().create(f.listener({"#"}));
    n.stop(in(1s));
    Notifier notifier(f.options());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) notifier.fire(Event("load.item" + std::to_string(i)));
    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, healthy.id) == 50; }, 5s));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(count_delivered(f.recorder->all(), stuck.id) == 0);
    const auto s = stats_of(notifier.stats(), stuck.id);
    CHECK(s.pending + s.in_flight == 50);
    CHECK_FALSE(notifier.flush(in(200ms)));  // the stuck ones are still pending
    notifier.stop(in(300ms));                // shutdown releases the hang
}

namespace {

// Threads of this process with this name (notify names its own), as the kernel counts them.
std::size_t threads_named(const std::string& name) {
    std::size_t n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string line;
        if (std::getline(comm, line) && line == name) ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("two hanging listeners cannot starve a healthy one, and spare workers end with the hang", "[notifier]") {
    NotifierFixture f;
    auto options = f.options();  // 4 workers, listener_concurrency 2
    std::string healthy;
    std::vector<std::string> stuck;
    {
        ListenerStore store(options.store.path);
        stuck.push_back(store.create(f.listener({"#"}, {{"mode", "hang"}})).id);
        stuck.push_back(store.create(f.listener({"#"}, {{"mode", "hang"}})).id);
        healthy = store.create(f.listener({"#"})).id;
    }
    Notifier notifier(options);
    CHECK(threads_named("notify-worker") == 4);
    CHECK(threads_named("notify-async") == 1);
    CHECK(threads_named("notify-spare") == 0);
    // The hanging listeners ask for 2 workers each, all 4 of them; each gets its share.
    for (int i = 0; i < 10; ++i) notifier.fire(Event("load.item" + std::to_string(i)));
    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, healthy) == 10; }, 20s));
    // Once the hanging attempts stall (after 1 s), spare workers stand in for them.
    std::this_thread::sleep_for(1500ms);
    for (int i = 10; i < 20; ++i) notifier.fire(Event("load.item" + std::to_string(i)));
    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, healthy) == 20; }, 20s));
    for (const auto& id : stuck) {
        const auto s = stats_of(notifier.stats(), id);
        CHECK(s.pending + s.in_flight == 20);  // none lost, none attempted to the end
    }
    CHECK(threads_named("notify-spare") >= 1);  // one per stalled attempt
    CHECK(threads_named("notify-spare") <= 4);  // at most listener_concurrency per hanging listener
    // The hang ends: the spares end too.
    f.recorder->release_hangs();
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (threads_named("notify-spare") > 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    CHECK(threads_named("notify-spare") == 0);
    CHECK(threads_named("notify-worker") == 4);
    notifier.stop(in(1s));
    CHECK(threads_named("notify-worker") + threads_named("notify-async") + threads_named("notify-schedule") == 0);
}

TEST_CASE("with listener_concurrency 1 a listener receives events in fire order", "[notifier]") {
    NotifierFixture f;
    auto options = f.options();
    options.listener_concurrency = 1;
    options.listener_prefetch = 16;  // most of them go through the parked path too
    Notifier n(options);
    const auto l = n.listeners().create(f.listener({"#"}));
    n.stop(in(1s));
    Notifier notifier(options);
    std::vector<std::string> fired;
    for (int i = 0; i < 300; ++i) {
        Event e("order.check");
        fired.push_back(e.id());
        notifier.fire(e);
    }
    REQUIRE(notifier.flush(in(10s)));
    std::vector<std::string> received;
    for (const auto& a : f.recorder->delivered(l.id)) received.push_back(a.event_id);
    CHECK(received == fired);
}

TEST_CASE("delay_until_effective holds each event until its effective time", "[notifier]") {
    NotifierFixture f;
    Notifier n(f.options());
    auto delayed = f.listener({"#"});
    delayed.delay_until_effective = true;
    const auto l = n.listeners().create(delayed);
    n.stop(in(1s));
    Notifier notifier(f.options());

    Event past("org.change");
    past.set_effective(now() - 1h);
    Event soon("org.change");
    soon.set_effective(now() + 1200ms);
    Event far("org.change");
    far.set_effective(now() + std::chrono::hours(24 * 30));
    Event none("org.change");  // no effective time: sent at once
    const auto fired_at = std::chrono::steady_clock::now();
    for (const auto* e : {&past, &soon, &far, &none}) notifier.fire(*e);

    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, l.id) == 2; }, 1s));
    std::set<std::string> first;
    for (const auto& a : f.recorder->delivered(l.id)) first.insert(a.event_id);
    CHECK(first == std::set<std::string>{past.id(), none.id()});

    REQUIRE(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, l.id) == 3; }, 3s));
    const auto got_soon = f.recorder->delivered(l.id).back();
    CHECK(got_soon.event_id == soon.id());
    CHECK(got_soon.at - fired_at >= 1100ms);

    std::this_thread::sleep_for(300ms);
    CHECK(count_delivered(f.recorder->all(), l.id) == 3);
    const auto pending = notifier.pending();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].event.at("id") == far.id());
    CHECK(pending[0].due == *far.effective());
    CHECK(stats_of(notifier.stats(), l.id).pending == 1);
}

TEST_CASE("an idle notifier sleeps: it uses almost no CPU, with either outbox", "[notifier]") {
    const auto cpu_seconds = [] {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
        return seconds(usage.ru_utime) + seconds(usage.ru_stime);
    };
    for (const auto mode : {NotifierOptions::OutboxMode::memory, NotifierOptions::OutboxMode::durable}) {
        NotifierFixture f;
        ListenerStore(f.store).create(f.listener({"#"}));
        auto options = f.options();
        options.outbox = mode;
        Notifier notifier(options);
        notifier.fire(Event("a.b"));
        REQUIRE(notifier.flush(in(5s)));
        // Past the first lease renewal and checkpoint times (the in-memory outbox has
        // neither, and once spun on them).
        std::this_thread::sleep_for(1s);
        const double before = cpu_seconds();
        std::this_thread::sleep_for(1s);
        // Polls every 50 ms here: far below a tenth of a core, even under a sanitizer.
        CHECK(cpu_seconds() - before < 0.25);
    }
}

TEST_CASE("many threads firing at once share commits and lose nothing", "[notifier][threads]") {
    NotifierFixture f;
    {
        Notifier n(f.options());
        n.listeners().create(f.listener({"#"}));
    }
    Notifier notifier(f.options());
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::set<std::int64_t> seqs;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 250; ++i) {
                const auto r = notifier.fire(Event("parallel.fire"));
                std::lock_guard lock(mutex);
                seqs.insert(r.deliveries.at(0).seq);
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(seqs.size() == 1000);
    REQUIRE(notifier.flush(in(10s)));
    std::set<std::string> delivered;
    for (const auto& a : f.recorder->all()) delivered.insert(a.delivery_id);
    CHECK(delivered.size() == 1000);
}

TEST_CASE("inconsistent options are refused", "[notifier]") {
    NotifierFixture f;
    auto o = f.options();
    o.listener_concurrency = 4;
    o.workers = 4;
    CHECK_THROWS_WITH(Notifier(o), Contains("listener_concurrency (4) must be lower than workers (4)"));
    o = f.options();
    o.store.path.clear();
    CHECK_THROWS_AS(Notifier(o), notify::ValidationError);
}

TEST_CASE("outcome hooks see each attempt once it is stored, on a notify thread, and may throw", "[notifier]") {
    NotifierFixture f;
    auto options = f.options();
    options.retry.max_attempts = 2;
    std::mutex mutex;
    std::vector<DeliveryOutcome> seen;
    std::set<std::thread::id> threads;
    const auto record = [&](const DeliveryOutcome& o) {
        std::lock_guard lock(mutex);
        seen.push_back(o);
        threads.insert(std::this_thread::get_id());
        if (o.kind == DeliveryOutcome::Kind::retry) throw std::runtime_error("a careless hook");
    };
    options.on_delivered = record;
    options.on_retry = record;
    options.on_dead = record;
    const auto ok = ListenerStore(f.store).create(f.listener({"repo.#"}));
    const auto failing = ListenerStore(f.store).create(f.listener({"repo.#"}, {{"mode", "retry"}}));
    Notifier notifier(options);
    const Event e = repo_started(RepoOperation::sync, "zoo");
    const auto statuses = notifier.fire_and_wait(e, in(10s));
    REQUIRE(statuses.size() == 2);
    for (const auto& s : statuses) {
        INFO(s.listener_id);
        CHECK(s.state == (s.listener_id == ok.id ? DeliveryStatus::State::delivered : DeliveryStatus::State::dead));
    }
    std::lock_guard lock(mutex);
    REQUIRE(seen.size() == 3);  // delivered; retry, then dead
    const auto of = [&](DeliveryOutcome::Kind kind) {
        return *std::find_if(seen.begin(), seen.end(), [&](const DeliveryOutcome& o) { return o.kind == kind; });
    };
    const auto delivered = of(DeliveryOutcome::Kind::delivered);
    CHECK(delivered.listener_id == ok.id);
    CHECK(delivered.delivery_id == delivery_id(e.id(), ok.id));
    CHECK(delivered.event_type == "repo.sync.start");
    CHECK(delivered.attempts == 1);
    CHECK(delivered.error.empty());
    const auto retry = of(DeliveryOutcome::Kind::retry);
    CHECK(retry.listener_id == failing.id);
    CHECK(retry.attempts == 1);
    CHECK_THAT(retry.error, Contains("server busy"));
    CHECK(retry.next_attempt.has_value());
    const auto dead = of(DeliveryOutcome::Kind::dead);
    CHECK(dead.attempts == 2);
    CHECK(dead.since_fired >= retry.since_fired);
    CHECK(threads.count(std::this_thread::get_id()) == 0);
    // The hook that threw cost nothing: the dead letter is stored.
    CHECK(notifier.dead_letters().size() == 1);
}
