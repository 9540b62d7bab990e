// The dispatcher when the store fails between two calls: a store engine of this test
// ("flaky://<file>") serves a SQLite file and fails the calls it is told to.
#include <catch2/catch.hpp>

#include <atomic>

#include "notifier_fixture.hpp"
#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"
#include "store_engines.hpp"

using namespace notify::core;
using namespace notify::test;
using namespace std::chrono_literals;

namespace {

// Set by a test: the next next_due() that follows a claim which returned rows throws, as
// when the connection drops right after the claim committed.
std::atomic<bool> fail_after_claim{false};
std::atomic<int> failures{0};

StoreLocation file_of(const StoreLocation& flaky) { return StoreLocation(std::filesystem::path(flaky.url.substr(8))); }

class FlakyOutbox final : public Outbox {
public:
    explicit FlakyOutbox(std::unique_ptr<Outbox> inner) : inner_(std::move(inner)) {}
    bool durable() const noexcept override { return inner_->durable(); }
    std::vector<std::int64_t> append(const std::string& json, Micros at, const std::vector<OutboxInsert>& inserts,
                                     std::int64_t owner) override {
        return inner_->append(json, at, inserts, owner);
    }
    std::vector<std::int64_t> append_batch(const std::vector<AppendItem>& items, Micros at, std::int64_t owner) override {
        return inner_->append_batch(items, at, owner);
    }
    std::vector<OutboxRow> claim(std::string_view id, Micros now, std::size_t limit, std::int64_t owner) override {
        auto rows = inner_->claim(id, now, limit, owner);
        if (!rows.empty() && fail_after_claim.exchange(false)) fail_next_due_ = true;
        return rows;
    }
    std::optional<Micros> next_due(std::string_view id) override {
        if (fail_next_due_.exchange(false)) {
            ++failures;
            throw notify::StoreError("flaky: lost the connection");
        }
        return inner_->next_due(id);
    }
    void complete(const std::vector<Completion>& c, std::int64_t owner, const AttemptCounts& counts) override {
        inner_->complete(c, owner, counts);
    }
    std::int64_t register_process(const ProcessIdentity& self, Micros now) override { return inner_->register_process(self, now); }
    bool heartbeat(std::int64_t id, Micros now) override { return inner_->heartbeat(id, now); }
    void rejoin(const ProcessIdentity& self, std::int64_t id, Micros now) override { inner_->rejoin(self, id, now); }
    std::size_t adopt_dead(const ProcessIdentity& self, std::int64_t id, Micros now, Micros lease) override {
        return inner_->adopt_dead(self, id, now, lease);
    }
    std::size_t adopt_orphans() override { return inner_->adopt_orphans(); }
    void release(std::int64_t owner) override { inner_->release(owner); }
    void park(const std::vector<std::int64_t>& seqs, std::int64_t owner, Micros due) override { inner_->park(seqs, owner, due); }
    std::map<std::string, OutboxCounts> counts() override { return inner_->counts(); }
    std::vector<OutboxRow> rows(bool dead, std::size_t limit, std::string_view id) override { return inner_->rows(dead, limit, id); }
    std::vector<OutboxRow> rows_by_seq(const std::vector<std::int64_t>& seqs) override { return inner_->rows_by_seq(seqs); }
    std::size_t retry_dead(std::optional<std::string_view> id, Micros now) override { return inner_->retry_dead(id, now); }
    std::size_t purge_dead() override { return inner_->purge_dead(); }
    bool pending_up_to(std::int64_t seq) override { return inner_->pending_up_to(seq); }
    std::int64_t last_seq() override { return inner_->last_seq(); }
    void drop_listener(std::string_view id) override { inner_->drop_listener(id); }
    std::vector<ProcessEntry> processes() override { return inner_->processes(); }
    std::vector<OutboxRow> rows_after(std::int64_t after, std::size_t limit) override { return inner_->rows_after(after, limit); }
    void import_rows(const std::vector<OutboxRow>& rows, const std::string& key) override { inner_->import_rows(rows, key); }
    std::int64_t import_mark(const std::string& key) override { return inner_->import_mark(key); }
    void set_mark(const std::string& key, std::int64_t value) override { inner_->set_mark(key, value); }
    void import_counts(const AttemptCounts& counts) override { inner_->import_counts(counts); }
    void checkpoint() override { inner_->checkpoint(); }
    bool changed() override { return inner_->changed(); }

private:
    void announce(bool coming) noexcept override {
        if (coming) {
            announcements_.emplace_back(std::make_unique<Announcement>(*inner_));
        } else if (!announcements_.empty()) {
            announcements_.pop_back();
        }
    }
    std::unique_ptr<Outbox> inner_;
    std::atomic<bool> fail_next_due_{false};
    std::vector<std::unique_ptr<Announcement>> announcements_;  // unused by the tests: fire() is not called here
};

void enable_flaky_engine() {
    StoreEngine engine;
    engine.schemes = {"flaky"};
    engine.listener_rows = [](const StoreLocation& l, const LogFunction& log) { return open_listener_rows(file_of(l), log); };
    engine.outbox = [](const StoreLocation& l, const LogFunction& log) -> std::unique_ptr<Outbox> {
        return std::make_unique<FlakyOutbox>(open_durable_outbox(file_of(l), false, log));
    };
    engine.inspect = [](const StoreLocation& l) { return inspect_store_header(file_of(l)); };
    engine.validate = [](const StoreLocation&) {};
    add_store_engine(std::move(engine));
}

}  // namespace

TEST_CASE("rows claimed just before the store fails are still delivered by the process that claimed them",
          "[notifier][store]") {
    enable_flaky_engine();
    NotifierFixture f;
    const auto l = ListenerStore(f.store).create(f.listener({"#"}));
    // Another process stored the events and left them to the delivering ones.
    auto host_options = f.options();
    host_options.dispatch = false;
    Notifier host(host_options);
    constexpr int events = 20;
    for (int i = 0; i < events; ++i) host.fire(Event("parked.work"));

    fail_after_claim = true;
    failures = 0;
    auto options = f.options();
    options.store = StoreLocation();
    options.store.url = "flaky://" + f.store.string();
    Notifier notifier(options);
    CHECK(f.recorder->wait_for([&](const auto& all) { return count_delivered(all, l.id) >= events; }, 10s));
    CHECK(failures == 1);  // the failure did happen, right after a claim
    notifier.stop(in(5s));
    const auto stats = stats_of(host.stats(), l.id);
    CHECK(stats.delivered == static_cast<std::uint64_t>(events));
    CHECK(stats.pending + stats.in_flight == 0);
}
