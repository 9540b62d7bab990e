// Lane: the dispatcher's per-listener rules (room for fresh fires, when to claim parked rows,
// batches for a handler, the backlog that keeps fire order), without threads or a store.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "lane.hpp"

using namespace notify::core;

namespace {

class IdleHandler : public Handler {
public:
    DeliveryResult deliver(const Delivery&) noexcept override { return DeliveryResult::delivered(); }
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}
};

QueuedDelivery queued(std::int64_t seq) { return {seq, std::to_string(seq), nullptr, 0, 0, {}}; }

std::shared_ptr<const Listener> listener_with(const std::function<void(Listener&)>& set) {
    Listener l;
    set(l);
    return std::make_shared<const Listener>(l);
}

std::vector<std::int64_t> seqs(const std::vector<QueuedDelivery>& batch) {
    std::vector<std::int64_t> out;
    for (const auto& d : batch) out.push_back(d.seq);
    return out;
}

}  // namespace

TEST_CASE("a lane takes fresh fires up to its prefetch, and none while a backlog is parked", "[lane]") {
    IdleHandler handler;
    Lane lane;
    lane.handler = &handler;
    constexpr std::size_t prefetch = 4;
    lane.queue.push_back(queued(1));
    lane.reserved = 1;
    lane.in_flight = 1;
    CHECK(lane.held() == 3);
    CHECK(lane.has_room(prefetch));
    lane.queue.push_back(queued(2));
    CHECK(lane.held() == 4);
    CHECK_FALSE(lane.has_room(prefetch));

    Lane empty;
    empty.handler = &handler;
    CHECK(empty.has_room(prefetch));
    empty.backlog = true;  // parked rows are due: a fresh fire would overtake them
    CHECK_FALSE(empty.has_room(prefetch));
}

TEST_CASE("a lane claims parked rows a quarter of its prefetch at a time, or when its queue ran dry", "[lane]") {
    IdleHandler handler;
    constexpr std::size_t prefetch = 8;  // chunks of 2
    CHECK(Lane::refill_chunk(prefetch) == 2);
    CHECK(Lane::refill_chunk(3) == 1);

    Lane lane;
    lane.handler = &handler;
    for (int i = 0; i < 7; ++i) lane.queue.push_back(queued(i));
    CHECK_FALSE(lane.wants_refill(prefetch));  // 1 free, queue not empty: not worth a store write
    lane.queue.pop_back();
    CHECK(lane.wants_refill(prefetch));  // 2 free
    CHECK(lane.refill_room(prefetch) == 2);

    Lane busy;  // everything under way but one place, nothing queued: refill now
    busy.handler = &handler;
    busy.in_flight = 7;
    CHECK(busy.wants_refill(prefetch));
    CHECK(busy.refill_room(prefetch) == 1);
    busy.in_flight = 8;  // full
    CHECK_FALSE(busy.wants_refill(prefetch));
    CHECK(busy.refill_room(prefetch) == 0);

    Lane no_handler;  // its deliveries wait for a process that has the handler
    CHECK_FALSE(no_handler.wants_refill(prefetch));
}

TEST_CASE("an asynchronous lane hands out batches in order within its limit and a blocking lane one at a time",
          "[lane]") {
    IdleHandler handler;
    Lane lane;
    lane.listener = std::make_shared<const Listener>();
    lane.handler = &handler;
    lane.asynchronous = true;
    lane.limit = 3;
    bool one = false;
    for (int i = 1; i <= 5; ++i) lane.queue.push_back(queued(i));
    REQUIRE(lane.can_start(0));

    CHECK(seqs(lane.take_batch(64, 0, one)) == std::vector<std::int64_t>{1, 2, 3});
    CHECK(lane.in_flight == 3);
    CHECK(lane.starting);
    CHECK_FALSE(lane.can_start(0));  // one worker at a time hands a batch over
    lane.finish_start();
    CHECK_FALSE(lane.can_start(0));  // at its limit
    CHECK(lane.take_batch(64, 0, one).empty());

    CHECK(lane.attempt_ended(false));  // it was held up by its limit with work queued
    CHECK(lane.can_start(0));
    CHECK(seqs(lane.take_batch(64, 0, one)) == std::vector<std::int64_t>{4});
    lane.finish_start();
    CHECK(lane.attempt_ended(false));        // at its limit again, 5 queued
    CHECK_FALSE(lane.attempt_ended(false));  // below its limit: a worker looks anyway
    CHECK(seqs(lane.take_batch(1, 0, one)) == std::vector<std::int64_t>{5});  // the worker's own cap
    lane.finish_start();
    CHECK_FALSE(lane.attempt_ended(false));  // nothing queued behind it
    CHECK(lane.in_flight == 1);

    CHECK_FALSE(one);
    Lane blocking;
    blocking.listener = lane.listener;
    blocking.handler = &handler;
    blocking.limit = 2;
    blocking.queue.push_back(queued(7));
    blocking.queue.push_back(queued(8));
    CHECK(seqs(blocking.take_batch(64, 0, one)) == std::vector<std::int64_t>{7});
    CHECK_FALSE(blocking.starting);
    CHECK(blocking.can_start(0));
    blocking.stalled = 1;
    blocking.attempt_ended(true);
    CHECK(blocking.stalled == 0);
    CHECK(blocking.in_flight == 0);
}

TEST_CASE("a lane's backlog ends only when a claim drained it and no fire parked a row meanwhile", "[lane]") {
    IdleHandler handler;
    Lane lane;
    lane.handler = &handler;
    lane.backlog = true;
    lane.next_parked = no_parked_row;
    CHECK(lane.park(500));  // sooner than none
    CHECK_FALSE(lane.park(900));
    CHECK(lane.park(100));
    CHECK(lane.next_parked == 100);
    const std::uint64_t parks_at_claim = lane.parks;

    std::vector<QueuedDelivery> rows;
    rows.push_back(queued(1));
    rows.push_back(queued(2));
    // Not drained (as many rows as asked for): more may be due once there is room.
    lane.claimed(rows, false, parks_at_claim, std::nullopt, 1000, 0);
    CHECK(lane.backlog);
    CHECK(lane.next_parked == 1000);
    CHECK(lane.queue.size() == 2);

    // Drained, but a fire() parked a row while the claim ran: it must be claimed first.
    lane.park(1100);
    lane.claimed({}, true, parks_at_claim, 5000, 2000, 0);
    CHECK(lane.backlog);
    CHECK(lane.next_parked == 2000);

    // Drained while a fire() is still parking one: the backlog stays too.
    lane.parking = 1;
    lane.claimed({}, true, lane.parks, 5000, 3000, 0);
    CHECK(lane.backlog);
    lane.parking = 0;

    // Drained, nothing parked meanwhile: fresh fires go to the queue again; the parked row
    // left (not yet due) is remembered.
    lane.claimed({}, true, lane.parks, 5000, 4000, 0);
    CHECK_FALSE(lane.backlog);
    CHECK(lane.next_parked == 5000);
    lane.claimed({}, true, lane.parks, std::nullopt, 4000, 0);
    CHECK(lane.next_parked == no_parked_row);
    CHECK(seqs({lane.queue.begin(), lane.queue.end()}) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("a busy lane lingers between claims that drained it, an idle one claims at once", "[lane]") {
    IdleHandler handler;
    Lane lane;
    lane.handler = &handler;
    lane.next_parked = no_parked_row;
    CHECK(lane.claim_at() == no_parked_row);  // nothing parked: nothing to claim

    lane.in_flight = 5;  // busy: its handler has work
    lane.park(10'000);
    std::vector<QueuedDelivery> rows;
    rows.push_back(queued(1));
    lane.claimed(rows, true, lane.parks, std::nullopt, 10'000, 1'000);
    CHECK(lane.next_parked == no_parked_row);
    lane.park(10'100);  // fire() parks one more row right after
    CHECK(lane.claim_at() == 11'000);  // claimed with whatever else is parked by then

    // Not drained: as many rows were due as there was room for; claim again once there is room.
    std::vector<QueuedDelivery> more;
    more.push_back(queued(2));
    lane.claimed(more, false, lane.parks, std::nullopt, 11'000, 1'000);
    CHECK(lane.claim_at() == 11'000);

    Lane idle;  // nothing queued or under way: a parked row is claimed at once
    idle.handler = &handler;
    idle.claimed({}, true, idle.parks, std::nullopt, 20'000, 1'000);
    idle.park(20'050);
    CHECK(idle.claim_at() == 20'050);
}

TEST_CASE("a rate holds a lane's attempts back once its bucket is empty, and refills it over time", "[lane][rate]") {
    IdleHandler handler;
    Lane lane;
    lane.listener = listener_with([](Listener& l) { l.rate = parse_rate("2/s"); });
    lane.handler = &handler;
    lane.asynchronous = true;
    lane.limit = 100;
    lane.reset_rate(0);
    for (int i = 1; i <= 6; ++i) lane.queue.push_back(queued(i));
    bool one = false;
    // A burst of up to 2, then one every 500 ms.
    CHECK(seqs(lane.take_batch(64, 0, one)) == std::vector<std::int64_t>{1, 2});
    lane.finish_start();
    CHECK(lane.hold_until == 500'001);
    CHECK_FALSE(lane.can_start(400'000));
    REQUIRE(lane.can_start(500'001));
    CHECK(seqs(lane.take_batch(64, 500'001, one)) == std::vector<std::int64_t>{3});
    lane.finish_start();
    CHECK_FALSE(lane.can_start(900'000));
    // Idle for long: the bucket holds 2 again, never more.
    REQUIRE(lane.can_start(10'000'000));
    CHECK(seqs(lane.take_batch(64, 10'000'000, one)) == std::vector<std::int64_t>{4, 5});
    lane.finish_start();
    CHECK(lane.queue.size() == 1);  // waits; nothing is dropped

    Lane per_minute;
    per_minute.listener = listener_with([](Listener& l) { l.rate = parse_rate("1/min"); });
    per_minute.handler = &handler;
    per_minute.limit = 2;
    per_minute.reset_rate(0);
    per_minute.queue.push_back(queued(7));
    per_minute.queue.push_back(queued(8));
    CHECK(seqs(per_minute.take_batch(64, 0, one)) == std::vector<std::int64_t>{7});
    CHECK(per_minute.hold_until == 60'000'001);
    CHECK_FALSE(per_minute.can_start(59'000'000));
}

TEST_CASE("a digest lane hands everything queued to one attempt", "[lane][digest]") {
    IdleHandler handler;
    Lane lane;
    lane.listener = listener_with([](Listener& l) { l.digest = std::chrono::minutes(10); });
    lane.handler = &handler;
    lane.limit = 2;
    lane.digests = true;
    for (int i = 1; i <= 5; ++i) lane.queue.push_back(queued(i));
    bool one = false;
    CHECK(seqs(lane.take_batch(64, 0, one)) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
    CHECK(one);
    CHECK(lane.in_flight == 5);

    // A handler that does not take digests gets its events one by one.
    Lane plain;
    plain.listener = lane.listener;
    plain.handler = &handler;
    plain.limit = 2;
    plain.queue.push_back(queued(6));
    plain.queue.push_back(queued(7));
    CHECK(seqs(plain.take_batch(64, 0, one)) == std::vector<std::int64_t>{6});
    CHECK_FALSE(one);
}

TEST_CASE("past its mail budget a lane holds its events for an hour's first free slot, then sends them as one",
          "[lane][digest]") {
    IdleHandler handler;
    Lane lane;
    lane.listener = listener_with([](Listener& l) { l.max_mails_per_hour = 2; });
    lane.handler = &handler;
    lane.limit = 1;
    lane.digests = true;
    bool one = false;
    const Micros minute = 60'000'000;
    const auto attempt = [&](Micros at) {
        REQUIRE(lane.can_start(at));
        auto batch = lane.take_batch(64, at, one);
        for (std::size_t i = 0; i < batch.size(); ++i) lane.attempt_ended(false);
        return seqs(batch);
    };
    lane.queue.push_back(queued(1));
    CHECK(attempt(0) == std::vector<std::int64_t>{1});
    CHECK_FALSE(one);
    lane.queue.push_back(queued(2));
    CHECK(attempt(10 * minute) == std::vector<std::int64_t>{2});
    CHECK(lane.flooded);
    CHECK(lane.hold_until == 60 * minute);  // the first mail's hour
    for (int i = 3; i <= 9; ++i) lane.queue.push_back(queued(i));
    CHECK_FALSE(lane.can_start(59 * minute));
    CHECK(attempt(60 * minute) == std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 9});
    CHECK(one);
    // Still 2 in the last hour (at 10 and 60 minutes): held until 70 minutes.
    CHECK(lane.hold_until == 70 * minute);
    lane.queue.push_back(queued(10));
    CHECK(attempt(70 * minute) == std::vector<std::int64_t>{10});
    CHECK(lane.hold_until == 120 * minute);
}
