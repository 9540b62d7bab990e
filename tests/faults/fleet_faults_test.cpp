// A fleet on one PostgreSQL store: several `notify serve` processes (the installed binary)
// and several firing processes share listeners and the outbox. Deliveries go to the test
// HTTP server; what it accepted is compared, by X-Notify-Delivery-Id, with what was fired.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "binary.hpp"
#include "fault_table.hpp"
#include "handler_notifier.hpp"
#include "notify/core/error.hpp"
#include "notify/core/well_known.hpp"
#include "notify/store/postgresql.hpp"
#include "pg_scratch.hpp"
#include "web_server.hpp"

using namespace notify;
using namespace notify::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A scratch schema, a webhook listener on it and the server.conf every process of the
// fleet reads ([store] url and schema; the password comes from the environment).
struct Fleet {
    ScratchSchema schema;
    WebServer web;
    TempDir dir;
    core::StoreLocation location;
    std::string listener_id;
    std::vector<std::string> env;

    Fleet() {
        location = schema.location();
        const auto& server = PostgresServer::get();
        listener_id = core::ListenerStore(location).create(listener("http", {"repo.#"}, {{"url", web.url()}})).id;
        const auto conf = dir / "server.conf";
        write_private(conf, "[store]\nurl = " + server.url + "\nschema = " + schema.name +
                                "\n[delivery]\nbackoff_initial = 100ms\nbackoff_max = 1s\nmax_attempts = 0\nlease = 3s\n"
                                "[http]\nconnect_timeout = 2s\ntimeout = 5s\n");
        env = {"NOTIFY_CONFIG=" + conf.string(), "NOTIFY_STORE__PASSWORD=" + server.password};
    }

    // Waits until every id in `fired` was accepted; the time it took.
    Clock::duration settle(const std::vector<std::string>& fired, Clock::duration limit = 120s) const {
        const std::set<std::string> wanted(fired.begin(), fired.end());
        const auto from = Clock::now();
        while (Clock::now() - from < limit) {
            const auto got = web.accepted_delivery_ids();
            std::size_t seen = 0;
            for (const auto& id : std::set<std::string>(got.begin(), got.end())) seen += wanted.count(id);
            if (seen == wanted.size()) break;
            std::this_thread::sleep_for(200ms);
        }
        return Clock::now() - from;
    }

    // An events file for `notify event fire --from`, with ids chosen here; the delivery ids
    // its events get.
    std::vector<std::string> events_file(const std::filesystem::path& file, const std::string& prefix, int n) const {
        std::ofstream out(file);
        std::vector<std::string> ids;
        for (int i = 0; i < n; ++i) {
            const auto event = core::repo_started(core::RepoOperation::sync, prefix + "-" + std::to_string(i));
            out << core::to_json(event).dump() << "\n";
            ids.push_back(core::delivery_id(event.id(), listener_id));
        }
        return ids;
    }
};

}  // namespace

TEST_CASE("three notify serve processes and two firing processes share one PostgreSQL store", "[faults][fleet]") {
    Fleet fleet;
    std::vector<std::unique_ptr<NotifyProcess>> serves;
    for (int i = 0; i < 3; ++i) serves.push_back(std::make_unique<NotifyProcess>(std::vector<std::string>{"serve"}, fleet.env));
    // Two hosts' backfills at once, each a process of its own storing in batches.
    std::vector<std::string> fired;
    for (const char* name : {"a", "b"}) {
        auto ids = fleet.events_file(fleet.dir / (std::string(name) + ".jsonl"), name, 1500);
        fired.insert(fired.end(), ids.begin(), ids.end());
    }
    NotifyProcess a({"event", "fire", "--from", (fleet.dir / "a.jsonl").string()}, fleet.env);
    NotifyProcess b({"event", "fire", "--from", (fleet.dir / "b.jsonl").string()}, fleet.env);
    for (auto* p : {&a, &b}) {
        const int code = p->wait();
        INFO(p->err());
        CHECK(code == 0);
    }
    const auto took = fleet.settle(fired);
    for (auto& s : serves) s->signal(SIGTERM);
    for (auto& s : serves) {
        const int code = s->wait(30s);
        INFO(s->err());
        CHECK(code == 0);
        CHECK(s->err().find("error") == std::string::npos);
    }
    const auto row = tally("http", "3 notify serve + 2 firing processes on one PostgreSQL", fired, fleet.web.accepted_delivery_ids(), 0, took);
    record(row);
    CHECK(row.lost == 0);
    CHECK(row.duplicates == 0);
    // Every serve stopped cleanly: nothing is left owned or pending.
    auto o = core::NotifierOptions();
    o.store = fleet.location;
    o.dispatch = false;
    const auto stats = core::Notifier(o).stats();
    REQUIRE(stats.size() == 1);
    CHECK(stats.at(0).pending + stats.at(0).in_flight == 0);
    CHECK(stats.at(0).delivered == fired.size());
}

TEST_CASE("PostgreSQL restarted mid-stream and a notify serve SIGKILLed while the others deliver",
          "[faults][fleet]") {
    Fleet fleet;
    std::vector<std::unique_ptr<NotifyProcess>> serves;
    for (int i = 0; i < 3; ++i) serves.push_back(std::make_unique<NotifyProcess>(std::vector<std::string>{"serve"}, fleet.env));

    // The host stores events and leaves delivery to the fleet. What fire() refused while
    // the database was down was never stored: the host knows (StoreError) and it is not
    // counted as fired.
    auto options = core::NotifierOptions();
    options.store = fleet.location;
    options.dispatch = false;
    core::Notifier host(options);
    std::atomic<bool> stop{false};
    std::vector<std::string> fired;
    std::size_t refused = 0;
    std::thread firer([&] {
        for (int i = 0; !stop; ++i) {
            try {
                const auto receipt = host.fire(core::repo_started(core::RepoOperation::sync, "r-" + std::to_string(i)));
                for (const auto& d : receipt.deliveries) fired.push_back(d.delivery_id);
            } catch (const StoreError&) {
                ++refused;
            }
            std::this_thread::sleep_for(2ms);
        }
    });
    std::this_thread::sleep_for(2s);
    serves.at(0)->signal(SIGKILL);
    CHECK(serves.at(0)->wait(10s) == 128 + SIGKILL);
    std::this_thread::sleep_for(1s);
    const std::string postgres = std::string(NOTIFY_SOURCE_DIR) + "/scripts/postgres";
    const std::string dir = PostgresServer::get().dir;
    CHECK(std::system((postgres + " stop " + dir + " >/dev/null && " + postgres + " restart " + dir + " >/dev/null").c_str()) == 0);
    std::this_thread::sleep_for(2s);
    stop = true;
    firer.join();
    const auto took = fleet.settle(fired);
    for (std::size_t i = 1; i < serves.size(); ++i) serves.at(i)->signal(SIGTERM);
    for (std::size_t i = 1; i < serves.size(); ++i) CHECK(serves.at(i)->wait(30s) == 0);
    // The killed serve's window: what it had sent and not yet recorded (its queue of 256
    // and outcomes waiting to be stored, 256); the restart's: the survivors' outcomes that
    // failed to commit when the server went down (at most one batch each).
    const auto row = tally("http", "1 of 3 notify serve SIGKILLed, then PostgreSQL restarted, while a host fires",
                           fired, fleet.web.accepted_delivery_ids(), (256 + 256) + 2 * 256, took);
    record(row);
    CHECK(fired.size() > 500);
    CHECK(row.lost == 0);
    CHECK(row.duplicates <= row.allowed_duplicates);
    CHECK(refused > 0);  // the host did meet the database down
    const auto stats = host.stats();
    REQUIRE(stats.size() == 1);
    CHECK(stats.at(0).dead == 0);
    CHECK(stats.at(0).pending + stats.at(0).in_flight == 0);
}
