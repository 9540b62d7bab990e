// Notifier: fire() into the outbox, delivery through the dispatcher, administration.
#include "notify/core/notifier.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include "delivery_metrics.hpp"
#include "listener_filter.hpp"
#include "dispatcher.hpp"
#include "listener_cache.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "outbox.hpp"
#include "store_engines.hpp"

namespace notify::core {

namespace {

// The namespace of notify's name-based delivery ids.
constexpr boost::uuids::uuid delivery_namespace = {
    {0x6e, 0x6f, 0x74, 0x69, 0x66, 0x79, 0x4d, 0x8a, 0x9b, 0x2c, 0x51, 0x7e, 0x0d, 0x44, 0xa3, 0x19}};

Timestamp from_micros(Micros us) { return Timestamp(std::chrono::microseconds(us)); }

void check(const NotifierOptions& o) {
    if (o.store.empty()) throw ValidationError("notifier: no store given (store.path or store.url)");
    if (o.workers < 1 || o.workers > 256) throw ValidationError("notifier: workers must be 1 to 256");
    if (o.listener_concurrency < 1) throw ValidationError("notifier: listener_concurrency must be at least 1");
    if (o.workers > 1 && o.listener_concurrency >= o.workers) {
        throw ValidationError("notifier: listener_concurrency (" + std::to_string(o.listener_concurrency) +
                              ") must be lower than workers (" + std::to_string(o.workers) +
                              "), or one stuck listener could hold every worker");
    }
    if (o.listener_prefetch < 1) throw ValidationError("notifier: listener_prefetch must be at least 1");
    if (o.lease < std::chrono::milliseconds(100)) throw ValidationError("notifier: lease must be at least 100 ms");
}

// When `listener`'s delivery of `event`, fired at `now`, may first be attempted: a digest
// window after that (the dispatcher then takes the window's other rows with it).
Micros due_at(const Listener& listener, const Event& event, Micros now) {
    Micros due = now;
    if (listener.delay_until_effective && event.effective()) {
        due = std::max(now, static_cast<Micros>(event.effective()->time_since_epoch().count()));
    }
    return due + listener.digest.count() * 1000;
}

DeliveryRecord record_of(const OutboxRow& row) {
    DeliveryRecord r;
    r.delivery_id = row.delivery_id;
    r.listener_id = row.listener_id;
    try {
        r.event = nlohmann::json::parse(row.event_json);
    } catch (const std::exception&) {
        r.event = row.event_json;  // shown as stored
    }
    r.attempts = row.attempts;
    r.last_error = row.last_error;
    r.created = from_micros(row.created_at);
    r.due = from_micros(row.due_at);
    if (row.dead_at) r.dead_at = from_micros(*row.dead_at);
    r.in_flight = row.owned;
    return r;
}

}  // namespace

std::string delivery_id(std::string_view event_id, std::string_view listener_id) {
    boost::uuids::name_generator_sha1 generate(delivery_namespace);
    std::string name;
    name.reserve(event_id.size() + listener_id.size() + 1);
    name.append(listener_id).append(1, '/').append(event_id);
    return boost::uuids::to_string(generate(name));
}

// The metrics of a Notifier for a prometheus-cpp exposer, which may outlive it.
class NotifierCollectable : public prometheus::Collectable {
public:
    explicit NotifierCollectable(Notifier* notifier) : notifier_(notifier) {}
    std::vector<prometheus::MetricFamily> Collect() const override;
    void detach() {
        std::lock_guard lock(mutex_);
        notifier_ = nullptr;
    }

private:
    mutable std::mutex mutex_;
    Notifier* notifier_;
};

struct Notifier::Impl {
    explicit Impl(NotifierOptions o)
        : options((check(o), std::move(o))),
          store(options.store, options.log),
          cache(store),
          outbox(options.outbox == NotifierOptions::OutboxMode::durable
                     ? open_durable_outbox(options.store, options.sync_full, options.log)
                     : Outbox::open_memory()) {
        if (options.dispatch) {
            dispatcher = std::make_unique<Dispatcher>(*outbox, cache, options, metrics, [this] {
                {
                    std::lock_guard lock(recorded_mutex);
                    ++recorded;
                }
                recorded_changed.notify_all();
            });
            dispatcher->start();
        }
    }

    NotifierOptions options;
    ListenerStore store;
    ListenerCache cache;
    std::unique_ptr<Outbox> outbox;
    DeliveryMetrics metrics;
    ListenerFilter filter{options.log, metrics};
    std::unique_ptr<Dispatcher> dispatcher;
    std::shared_ptr<NotifierCollectable> collectable;
    EventBus bus;
    std::atomic<bool> stopped{false};
    std::atomic<std::int64_t> last_seq{0};
    // Batches of outcomes this process recorded: wait() sleeps until it grows.
    std::mutex recorded_mutex;
    std::condition_variable recorded_changed;
    std::uint64_t recorded = 0;
};

Notifier::Notifier(NotifierOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    impl_->collectable = std::make_shared<NotifierCollectable>(this);
}

Notifier::~Notifier() {
    impl_->collectable->detach();
    stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

ListenerStore& Notifier::listeners() noexcept { return impl_->store; }

EventBus& Notifier::bus() noexcept { return impl_->bus; }

FireReceipt Notifier::fire(const Event& event) { return fire(std::span<const Event>(&event, 1)); }

FireReceipt Notifier::fire(std::span<const Event> events) {
    Impl& m = *impl_;
    if (m.stopped.load()) throw Error("notifier: fire() after stop()");
    m.cache.refresh_if_changed_here();
    if (!m.dispatcher) m.cache.refresh_every(m.options.poll_interval);
    const auto set = m.cache.snapshot();
    std::vector<Routed> routed;
    routed.reserve(events.size());
    for (const auto& event : events) {
        routed.push_back({&event, set->matching(event.type()), {}, false});
        routed.back().json = m.filter.apply(event, routed.back().listeners);
    }
    auto receipt = store(routed);
    for (const auto& event : events) m.bus.publish(event);
    return receipt;
}

const StoreLocation& Notifier::store_location() const noexcept { return impl_->options.store; }

StagedEvent Notifier::stage(const Event& event) {
    Impl& m = *impl_;
    if (m.stopped.load()) throw Error("notifier: stage() after stop()");
    m.cache.refresh_if_changed_here();
    if (!m.dispatcher) m.cache.refresh_every(m.options.poll_interval);
    auto listeners = m.cache.snapshot()->matching(event.type());
    std::string json = m.filter.apply(event, listeners);
    StagedEvent staged;
    staged.created_at = now_micros();
    if (listeners.empty()) return staged;
    staged.event_json = json.empty() ? to_json(event).dump() : std::move(json);
    for (const auto& l : listeners) {
        staged.rows.push_back({delivery_id(event.id(), l->id), l->id, due_at(*l, event, staged.created_at)});
    }
    return staged;
}

FireReceipt Notifier::fire_to(const Event& event, const std::string& listener_id) {
    Impl& m = *impl_;
    if (m.stopped.load()) throw Error("notifier: fire() after stop()");
    m.cache.refresh();
    const auto set = m.cache.snapshot();
    const auto it = set->by_id.find(listener_id);
    if (it == set->by_id.end()) throw NotFound("no listener with id " + quote_text(listener_id));
    // A test goes at once, not after a digest window (it takes the window's events with it).
    return store({{&event, {it->second}, {}, true}});
}

FireReceipt Notifier::store(const std::vector<Routed>& routed) {
    Impl& m = *impl_;
    FireReceipt receipt;
    const bool any = std::any_of(routed.begin(), routed.end(), [](const Routed& r) { return !r.listeners.empty(); });
    if (!any) return receipt;

    // Per event with listeners: its JSON, its rows, and a place in the dispatcher's lane
    // for each (given back by the reservation's destructor if the insert fails).
    struct Prepared {
        const Event* event;
        const std::vector<std::shared_ptr<const Listener>>* listeners;
        bool at_once;
        std::string json;
        std::vector<OutboxInsert> inserts;
        std::vector<Dispatcher::Reservation> slots;
    };
    std::vector<Prepared> prepared;
    prepared.reserve(routed.size());
    for (const auto& r : routed) {
        if (r.listeners.empty()) continue;
        prepared.push_back({r.event, &r.listeners, r.at_once, r.json.empty() ? to_json(*r.event).dump() : r.json, {}, {}});
    }

    const Outbox::Announcement coming(*m.outbox);
    const Micros now = now_micros();
    std::vector<Outbox::AppendItem> items;
    items.reserve(prepared.size());
    for (auto& p : prepared) {
        const auto& listeners = *p.listeners;
        p.inserts.reserve(listeners.size());
        p.slots.reserve(listeners.size());
        for (const auto& l : listeners) {
            const Micros due = p.at_once ? now : due_at(*l, *p.event, now);
            auto slot = m.dispatcher ? m.dispatcher->reserve(l->id, due <= now) : Dispatcher::Reservation{};
            p.inserts.push_back({delivery_id(p.event->id(), l->id), l->id, due, slot.owned()});
            p.slots.push_back(std::move(slot));
        }
        items.push_back({&p.json, &p.inserts});
    }
    const auto seqs = m.outbox->append_batch(items, now, m.dispatcher ? m.dispatcher->owner() : 0);

    std::size_t next = 0;
    for (auto& p : prepared) {
        std::shared_ptr<const Event> shared;
        for (std::size_t i = 0; i < p.inserts.size(); ++i, ++next) {
            const auto& in = p.inserts[i];
            if (in.owned && !shared) shared = std::make_shared<const Event>(*p.event);
            p.slots[i].commit({seqs[next], in.delivery_id, in.owned ? shared : nullptr, now, 0, {}}, in.due_at);
            receipt.deliveries.push_back({in.delivery_id, in.listener_id, seqs[next]});
        }
    }
    std::int64_t last = m.last_seq.load();
    while (seqs.back() > last && !m.last_seq.compare_exchange_weak(last, seqs.back())) {
    }
    return receipt;
}

bool Notifier::flush(std::chrono::steady_clock::time_point deadline) {
    Impl& m = *impl_;
    // Everything in the outbox now: this notifier's fires and what earlier runs left.
    const std::int64_t up_to = std::max(m.last_seq.load(), m.outbox->last_seq());
    if (up_to == 0) return true;
    auto pause = std::chrono::milliseconds(1);
    while (true) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(m.recorded_mutex);
            seen = m.recorded;
        }
        if (!m.outbox->pending_up_to(up_to)) {
            // Stored; the batch that stored it may still be reporting (hooks, metrics).
            if (!m.dispatcher) return true;
            const auto taken = m.dispatcher->batches_started();
            while (m.dispatcher->batches_reported() < taken) {
                if (std::chrono::steady_clock::now() >= deadline) return false;
                std::unique_lock lock(m.recorded_mutex);
                m.recorded_changed.wait_for(lock, std::chrono::milliseconds(1));
            }
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        // This process's outcomes wake it at once; another process's (notify serve) are seen
        // at the next look, sooner at first.
        std::unique_lock lock(m.recorded_mutex);
        m.recorded_changed.wait_until(lock, std::min(deadline, now + pause), [&] { return m.recorded != seen; });
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

std::vector<DeliveryStatus> Notifier::wait(const FireReceipt& receipt, std::chrono::steady_clock::time_point deadline) {
    Impl& m = *impl_;
    while (true) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(m.recorded_mutex);
            seen = m.recorded;
        }
        auto statuses = status(receipt);
        const bool settled = std::none_of(statuses.begin(), statuses.end(),
                                          [](const DeliveryStatus& s) { return s.state == DeliveryStatus::State::pending; });
        const auto now = std::chrono::steady_clock::now();
        if (settled || now >= deadline) return statuses;
        // This process's outcomes wake it at once; other processes' are seen at the next look.
        std::unique_lock lock(m.recorded_mutex);
        m.recorded_changed.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)),
                                      [&] { return m.recorded != seen; });
    }
}

std::vector<DeliveryStatus> Notifier::fire_and_wait(const Event& event, std::chrono::steady_clock::time_point deadline) {
    return wait(fire(event), deadline);
}

void Notifier::stop(std::chrono::steady_clock::time_point deadline) {
    if (impl_->stopped.exchange(true)) return;
    if (impl_->dispatcher) impl_->dispatcher->stop(deadline);
}

std::vector<DeliveryStatus> Notifier::status(const FireReceipt& receipt) {
    std::vector<DeliveryStatus> out;
    std::vector<std::int64_t> seqs;
    for (const auto& d : receipt.deliveries) seqs.push_back(d.seq);
    const auto rows = impl_->outbox->rows_by_seq(seqs);
    for (const auto& d : receipt.deliveries) {
        DeliveryStatus s{d.delivery_id, d.listener_id, DeliveryStatus::State::delivered, 0, {}};
        const auto it = std::find_if(rows.begin(), rows.end(), [&](const OutboxRow& r) { return r.seq == d.seq; });
        if (it != rows.end()) {
            s.state = it->dead_at ? DeliveryStatus::State::dead : DeliveryStatus::State::pending;
            s.attempts = it->attempts;
            s.last_error = it->last_error;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<ListenerStats> Notifier::stats() {
    const auto counts = impl_->outbox->counts();
    const Micros now = now_micros();
    std::map<std::string, ListenerStats> by_id;
    for (const auto& l : impl_->store.list()) by_id[l.id].listener_id = l.id;
    for (const auto& [id, c] : counts) {
        ListenerStats& s = by_id[id];
        s.listener_id = id;
        s.pending = c.parked;
        s.in_flight = c.owned;
        s.delivered = c.delivered;
        s.retried = c.retried;
        s.dead = c.dead;
        if (c.oldest_created) s.oldest_pending_age = std::chrono::milliseconds((now - *c.oldest_created) / 1000);
    }
    std::vector<ListenerStats> out;
    for (auto& [id, s] : by_id) out.push_back(std::move(s));
    return out;
}

std::vector<DeliveryRecord> Notifier::pending(std::size_t limit, std::string_view listener_id) {
    std::vector<DeliveryRecord> out;
    for (const auto& row : impl_->outbox->rows(false, limit, listener_id)) out.push_back(record_of(row));
    return out;
}

std::vector<DeliveryRecord> Notifier::dead_letters(std::size_t limit, std::string_view listener_id) {
    std::vector<DeliveryRecord> out;
    for (const auto& row : impl_->outbox->rows(true, limit, listener_id)) out.push_back(record_of(row));
    return out;
}

std::size_t Notifier::retry_dead(std::string_view delivery_id) {
    const auto n = impl_->outbox->retry_dead(delivery_id, now_micros());
    if (n > 0 && impl_->dispatcher) impl_->dispatcher->poke();
    return n;
}

std::size_t Notifier::retry_all_dead() {
    const auto n = impl_->outbox->retry_dead(std::nullopt, now_micros());
    if (n > 0 && impl_->dispatcher) impl_->dispatcher->poke();
    return n;
}

std::size_t Notifier::purge_dead() { return impl_->outbox->purge_dead(); }

}  // namespace notify::core

namespace notify::core {

namespace {

prometheus::ClientMetric gauge_of(const std::string& listener_id, double value) {
    prometheus::ClientMetric m;
    m.label.push_back({"listener", listener_id});
    m.gauge.value = value;
    return m;
}

}  // namespace

std::vector<prometheus::MetricFamily> NotifierCollectable::Collect() const {
    std::lock_guard lock(mutex_);
    if (notifier_ == nullptr) return {};
    try {
        return notifier_->collect();
    } catch (const Error&) {
        return {};  // the store cannot be read: the scrape shows nothing rather than old figures
    }
}

std::vector<prometheus::MetricFamily> Notifier::collect() {
    auto families = impl_->metrics.collect();
    prometheus::MetricFamily pending{"notify_outbox_pending",
                                     "Deliveries in the outbox not yet delivered nor dead, in flight included",
                                     prometheus::MetricType::Gauge, {}};
    prometheus::MetricFamily oldest{"notify_outbox_oldest_pending_seconds",
                                    "Age of the oldest delivery not yet delivered nor dead (0 when none)",
                                    prometheus::MetricType::Gauge, {}};
    prometheus::MetricFamily dead{"notify_dead_letters", "Deliveries given up, kept in the store until purged",
                                  prometheus::MetricType::Gauge, {}};
    for (const auto& s : stats()) {
        pending.metric.push_back(gauge_of(s.listener_id, static_cast<double>(s.pending + s.in_flight)));
        const auto age = s.oldest_pending_age.value_or(std::chrono::milliseconds(0));
        oldest.metric.push_back(gauge_of(s.listener_id, std::chrono::duration<double>(age).count()));
        dead.metric.push_back(gauge_of(s.listener_id, static_cast<double>(s.dead)));
    }
    families.push_back(std::move(pending));
    families.push_back(std::move(oldest));
    families.push_back(std::move(dead));
    return families;
}

std::string Notifier::metrics_text() { return prometheus::TextSerializer().Serialize(collect()); }

std::weak_ptr<prometheus::Collectable> Notifier::metrics() const noexcept { return impl_->collectable; }

Health Notifier::health(std::chrono::milliseconds unhealthy_after) {
    Impl& m = *impl_;
    try {
        // A delivering process proves the store takes writes with its own heartbeat.
        if (m.dispatcher && m.outbox->durable()) {
            // False (taken for dead) is the scheduler's to act on; the write went through.
            (void)m.outbox->heartbeat(m.dispatcher->owner(), now_micros());
        } else {
            (void)m.outbox->counts();
        }
    } catch (const Error& e) {
        return {false, std::string("the store cannot be written: ") + e.what()};
    }
    const auto failing = m.metrics.failing_longer_than(unhealthy_after, std::chrono::steady_clock::now());
    if (failing.empty()) return {};
    std::string reason;
    for (const auto& f : failing) {
        if (!reason.empty()) reason += "; ";
        reason += "the " + f.kind + " handler has been failing for " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(f.for_how_long).count()) + " s";
        if (!f.error.empty()) reason += ": " + f.error;
    }
    return {false, flatten_line(reason)};
}

}  // namespace notify::core
