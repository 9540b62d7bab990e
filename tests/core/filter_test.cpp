// Listener filters: jq programs on the event's JSON form, compared with the jq command
// (Debian's jq, the oracle), checked when a listener is stored, applied by fire().
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "jq_oracle.hpp"
#include "jq_program.hpp"
#include "notifier_fixture.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"

using namespace notify;
using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

Event sync_finished(const std::string& repo, RepoResult result, int units_added, const std::string& source) {
    nlohmann::json data = {{"repo_id", repo}, {"result", result == RepoResult::success ? "success" : "failed"}};
    if (units_added >= 0) data["units_added"] = units_added;
    return Event("repo.sync.finish", data, source);
}

}  // namespace

TEST_CASE("a filter lets an event through exactly when jq's first output on it is true", "[filter]") {
    TempDir dir;
    const std::vector<std::string> programs = {
        R"(.data.repo_id == "zoo")",
        R"(.data.result != "success")",
        R"((.data.units_added // 0) > 0)",
        R"(.source | startswith("pulp"))",
        R"(.type | test("^repo\\.sync\\."))",
        R"(.data.repo_id)",                         // a string, not true
        R"(true, false)",                           // the first output counts
        R"(empty)",                                 // no output
        R"(.data | has("units_added") and .units_added >= 5)",
        R"([.data.repo_id] | inside(["zoo", "farm"]))",
        R"(.time | fromdateiso8601? // 0 | . > 0)",
    };
    const std::vector<Event> events = {
        sync_finished("zoo", RepoResult::success, 3, "pulp-server"),
        sync_finished("farm", RepoResult::failure, 0, "pulp-worker"),
        sync_finished("zoo", RepoResult::failure, -1, "os2mo"),
        sync_finished("ark", RepoResult::success, 7, "notify"),
    };
    for (const auto& program : programs) {
        jq::check("filter", program);
        for (const auto& event : events) {
            const std::string json = to_json(event).dump();
            INFO(program << " on " << json);
            const auto outcome = jq::Input(json).test(program);
            CHECK(outcome.error.empty());
            CHECK(outcome.passed == (jq_first(dir, program, json) == "true"));
        }
    }
}

TEST_CASE("a filter that does not compile is refused with jq's message and line", "[filter]") {
    CHECK_THROWS_WITH(validate_filter(".data.repo_id =="), Contains("syntax error") && Contains("line 1"));
    CHECK_THROWS_WITH(validate_filter("nosuchfunction(1)"), Contains("nosuchfunction/1 is not defined"));
    CHECK_THROWS_WITH(validate_filter(".a\n| .b |||"), Contains("line 2"));
    CHECK_THROWS_WITH(validate_filter(std::string(5000, ' ') + "true"), Contains("at most 4096"));
    CHECK_NOTHROW(validate_filter(R"(.data.repo_id == "zoo")"));
    auto l = NotifierFixture::listener({"repo.#"});
    l.filter = ".data.repo_id ==";
    CHECK_THROWS_AS(validate_listener(l), ValidationError);
}

TEST_CASE("a filter that fails on an event skips its listener for that event only", "[filter]") {
    const auto outcome = jq::Input(R"({"data": {"repo_id": "zoo"}})").test(".data.repo_id + 1");
    CHECK_FALSE(outcome.passed);
    CHECK_THAT(outcome.error, Contains("cannot be added"));
    CHECK(jq::Input(R"({"data": {"repo_id": 1}})").test(".data.repo_id + 1 == 2").passed);
}

TEST_CASE("every thread runs filters on states of its own, and past the cache's size they are compiled again",
          "[filter]") {
    const std::string json = to_json(sync_finished("zoo", RepoResult::success, 1, "pulp")).dump();
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    std::atomic<std::size_t> compiled_once{0}, compiled_again{0};
    // Each thread keeps 4 programs and runs 6 in turn (a compile costs milliseconds, far more
    // under the sanitizers, so the test keeps the cache small rather than filling 64).
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const jq::Input input(json);
            const auto run = [&](int rounds) {
                for (int i = 0; i < rounds; ++i) {
                    const int n = (i + t) % 6;
                    const std::string program = "(.data.units_added + " + std::to_string(n) + ") == " + std::to_string(n + 1);
                    if (!input.test(program).passed) ++wrong;
                }
            };
            jq::keep_programs_on_this_thread(6);
            run(60);  // 6 compiles, then all kept
            compiled_once += jq::compiles_on_this_thread();
            jq::keep_programs_on_this_thread(4);
            const auto before = jq::compiles_on_this_thread();
            run(30);  // one past the cache's size: dropped and compiled again
            compiled_again += jq::compiles_on_this_thread() - before;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
    CHECK(compiled_once == 4 * 6);
    CHECK(compiled_again >= 4 * 6);
}

TEST_CASE("fire() gives a filtered listener only the events its filter takes, and counts the ones it failed on",
          "[filter][notifier]") {
    NotifierFixture f;
    auto options = f.options();
    std::vector<std::string> logged;
    std::mutex log_mutex;
    options.log = [&](LogLevel, std::string_view message) {
        std::lock_guard lock(log_mutex);
        logged.emplace_back(message);
    };
    Notifier notifier(options);
    auto zoo = NotifierFixture::listener({"repo.sync.#"});
    zoo.filter = R"(.data.repo_id == "zoo")";
    const auto filtered = notifier.listeners().create(zoo);
    const auto everything = notifier.listeners().create(NotifierFixture::listener({"repo.sync.#"}));
    auto broken = NotifierFixture::listener({"repo.sync.#"});
    broken.filter = ".data.repo_id + 1 > 0";  // a type error on every string repo_id
    const auto failing = notifier.listeners().create(broken);

    const auto a = notifier.fire(sync_finished("zoo", RepoResult::success, 1, "pulp"));
    const auto b = notifier.fire(sync_finished("farm", RepoResult::success, 1, "pulp"));
    const auto c = notifier.fire(sync_finished("zoo", RepoResult::failure, 0, "pulp"));
    CHECK(a.deliveries.size() == 2);
    CHECK(b.deliveries.size() == 1);  // only the unfiltered listener
    CHECK(c.deliveries.size() == 2);
    REQUIRE(notifier.flush(in(5000ms)));
    CHECK(count_delivered(f.recorder->all(), filtered.id) == 2);
    CHECK(count_delivered(f.recorder->all(), everything.id) == 3);
    CHECK(count_delivered(f.recorder->all(), failing.id) == 0);
    // Nothing was stored for the listeners that did not take an event.
    CHECK(stats_of(notifier.stats(), filtered.id).delivered == 2);
    CHECK(stats_of(notifier.stats(), failing.id).delivered + stats_of(notifier.stats(), failing.id).pending == 0);

    const auto metrics = notifier.metrics_text();
    CHECK_THAT(metrics, Contains("notify_filter_errors_total{listener=\"" + failing.id + "\"} 3"));
    std::lock_guard lock(log_mutex);
    const auto failures = std::count_if(logged.begin(), logged.end(), [&](const std::string& line) {
        return line.find("listener " + failing.id + ": its filter failed") != std::string::npos;
    });
    CHECK(failures == 1);  // once a minute, not once an event
}

TEST_CASE("a filter or transform cannot read the environment, write to stderr or read more input", "[filter][security]") {
    ::setenv("NOTIFY_TEST_SECRET", "hunter2", 1);
    const Event event("repo.sync.finish", {{"repo_id", "zoo"}}, "pulp");
    const std::string json = to_json(event).dump();
    const jq::Input input(json);
    CHECK(input.first("env").json == "{}");
    CHECK(input.first("$ENV").json == "{}");
    CHECK(input.first("[env.NOTIFY_TEST_SECRET, $ENV.NOTIFY_TEST_SECRET]").json == "[null,null]");
    CHECK_FALSE(input.test("env.NOTIFY_TEST_SECRET == \"hunter2\"").passed);
    CHECK(input.first(".data | debug | stderr | .repo_id").json == "\"zoo\"");
    CHECK_THAT(input.first("input").error, Contains("input is not available"));
    CHECK_THAT(input.first("[inputs]").error, Contains("inputs is not available"));
    // jq's messages and line numbers are the program's own.
    CHECK_THROWS_WITH(jq::check("filter", ".a ==\n| .b"),
                      Contains("line 2") && !Contains("def env") && !Contains("$ENV"));
    CHECK_THROWS_WITH(jq::check("filter", ".a =="), Contains("line 1: .a ==") && !Contains("def env"));
    ::unsetenv("NOTIFY_TEST_SECRET");
}
