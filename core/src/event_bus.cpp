// EventBus: subscriptions are shared and copy-on-write; each publishing thread keeps its own
// view of them (a RouteTable of Signals2 signals) and refreshes it when the generation moves.
#include "notify/core/event_bus.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "bus_core.hpp"
#include "route_table.hpp"

namespace notify::core {

namespace detail {

std::uint64_t next_generation() noexcept {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

void BusCore::add(std::shared_ptr<SubscriptionState> state) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<SubscriptionList>(*subscriptions);
    next->push_back(std::move(state));
    subscriptions = std::move(next);
    generation.store(next_generation(), std::memory_order_release);
}

void BusCore::remove(const SubscriptionState* state) {
    std::lock_guard lock(mutex);
    const auto& list = *subscriptions;
    if (std::none_of(list.begin(), list.end(), [&](const auto& s) { return s.get() == state; })) {
        return;
    }
    auto next = std::make_shared<SubscriptionList>();
    next->reserve(list.size() - 1);
    for (const auto& s : list) {
        if (s.get() != state) next->push_back(s);
    }
    subscriptions = std::move(next);
    generation.store(next_generation(), std::memory_order_release);
}

void BusCore::report(const Event& event, std::exception_ptr error) const noexcept {
    try {
        if (on_error) {
            on_error(event, error);
            return;
        }
        std::string what = "unknown exception";
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "notify: a subscriber to '%s' threw: %s\n", event.type().c_str(),
                     what.c_str());
    } catch (...) {
    }
}

}  // namespace detail

namespace {

using detail::BusCore;
using detail::FastSignal;
using detail::RouteTable;
using detail::SubscriptionList;
using detail::SubscriptionState;

// What one thread knows about one bus.
struct BusView {
    std::uint64_t uid = 0;
    std::weak_ptr<BusCore> core;
    std::uint64_t generation = 0;  // never a bus's generation, so a new view refreshes first
    std::shared_ptr<const SubscriptionList> subscriptions;
    RouteTable routes;
};

// A route table may be replaced while one of its signals is emitting further up this
// thread's stack (a slot that publishes). Such tables wait here until the outermost
// publish returns.
struct ThreadState;
thread_local BusView* tl_last_view __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local int tl_depth __attribute__((tls_model("initial-exec"))) = 0;
thread_local bool tl_has_retired __attribute__((tls_model("initial-exec"))) = false;

struct ThreadState {
    std::vector<std::unique_ptr<BusView>> views;
    std::vector<RouteTable> retired;
    ~ThreadState() { tl_last_view = nullptr; }
};

ThreadState& thread_state() {
    thread_local ThreadState state;
    return state;
}

constexpr std::size_t max_routes_per_view = 1024;

void reset_routes(RouteTable& routes) {
    if (tl_depth > 0) {
        thread_state().retired.push_back(std::move(routes));
        tl_has_retired = true;
    }
    routes = RouteTable();
}

BusView& view_for(const std::shared_ptr<BusCore>& core) {
    auto& views = thread_state().views;
    BusView* found = nullptr;
    for (auto& v : views) {
        if (v->uid == core->uid) found = v.get();
    }
    if (found == nullptr) {
        // Drop views of buses that no longer exist, unless in use further up the stack.
        if (tl_depth == 0) {
            std::erase_if(views, [](const auto& v) { return v->core.expired(); });
        }
        auto view = std::make_unique<BusView>();
        view->uid = core->uid;
        view->core = core;
        found = view.get();
        views.push_back(std::move(view));
    }
    tl_last_view = found;
    return *found;
}

void refresh(BusView& view, BusCore& core) {
    {
        std::lock_guard lock(core.mutex);
        view.subscriptions = core.subscriptions;
        view.generation = core.generation.load(std::memory_order_relaxed);
    }
    reset_routes(view.routes);
}

// The slot as connected to a thread's signal.
struct SlotCall {
    std::shared_ptr<SubscriptionState> state;
    const BusCore* core;

    void operator()(const Event& event) const {
        // seq_cst pairs with the store in unsubscribe(): a publish ordered after it sees false.
        if (!state->active.load(std::memory_order_seq_cst)) return;
        try {
            state->slot(event);
        } catch (...) {
            core->report(event, std::current_exception());
        }
    }
};

FastSignal* add_route(BusView& view, const BusCore& core, const Event& event) {
    std::unique_ptr<FastSignal> signal;
    for (const auto& s : *view.subscriptions) {
        if (!s->pattern.matches(event.type())) continue;
        if (!signal) signal = std::make_unique<FastSignal>();
        signal->connect(SlotCall{s, &core});
    }
    if (view.routes.size() >= max_routes_per_view) reset_routes(view.routes);
    return view.routes.insert(event.type(), event.type_hash(), std::move(signal)).signal.get();
}

}  // namespace

EventBus::EventBus(ErrorCallback on_error) {
    static std::atomic<std::uint64_t> next_uid{1};
    core_ = std::make_shared<BusCore>(next_uid.fetch_add(1), std::move(on_error));
}

EventBus::~EventBus() = default;

Subscription EventBus::subscribe(std::string_view pattern, Slot slot) {
    return subscribe(TopicPattern(pattern), std::move(slot));
}

Subscription EventBus::subscribe(const TopicPattern& pattern, Slot slot) {
    if (!slot) throw std::invalid_argument("EventBus::subscribe: empty slot");
    auto state = std::make_shared<SubscriptionState>(pattern, std::move(slot));
    core_->add(state);
    return Subscription(core_, std::move(state));
}

namespace {

// Out of line, so the fast path in publish() needs no stack frame of its own.
[[gnu::noinline]] void emit(const BusCore& core, FastSignal& signal, const Event& event) noexcept {
    ++tl_depth;
    try {
        signal(event);
    } catch (...) {
        // Slots are wrapped, so only an allocation failure inside Signals2 gets here.
        core.report(event, std::current_exception());
    }
    if (--tl_depth == 0 && tl_has_retired) [[unlikely]] {
        thread_state().retired.clear();
        tl_has_retired = false;
    }
}

// Everything but "this thread's routes are current and know the type": first use of the
// bus on this thread, a subscription change, a type not seen before.
[[gnu::noinline, gnu::cold]] void publish_slow(const std::shared_ptr<BusCore>& core_ptr,
                                               const Event& event) noexcept {
    BusCore& core = *core_ptr;
    try {
        BusView* view = tl_last_view;
        if (view == nullptr || view->uid != core.uid) view = &view_for(core_ptr);
        if (view->generation != core.generation.load(std::memory_order_acquire)) refresh(*view, core);
        const detail::Route* route = view->routes.find(event.type(), event.type_hash());
        FastSignal* signal = route != nullptr ? route->signal.get() : add_route(*view, core, event);
        if (signal != nullptr) emit(core, *signal, event);
    } catch (...) {
        core.report(event, std::current_exception());
    }
}

}  // namespace

void EventBus::publish(const Event& event) const noexcept {
    // The common case touches only this thread's data and two words of the bus: no lock,
    // no shared write, no call unless somebody listens.
    const BusCore& core = *core_;
    const BusView* view = tl_last_view;
    // Equal generations mean this bus's view and an up-to-date one (see next_generation()).
    if (view != nullptr && view->generation == core.generation.load(std::memory_order_acquire)) [[likely]] {
        // Every call below is a tail call, so this path needs no stack frame.
        if (const detail::Route* route = view->routes.probe(event.type(), event.type_hash())) {
            if (route->signal != nullptr) emit(core, *route->signal, event);
            return;
        }
    }
    publish_slow(core_, event);
}

std::size_t EventBus::subscriber_count() const {
    std::lock_guard lock(core_->mutex);
    return core_->subscriptions->size();
}

Subscription::Subscription(std::weak_ptr<detail::BusCore> bus,
                           std::shared_ptr<detail::SubscriptionState> state)
    : bus_(std::move(bus)), state_(std::move(state)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        unsubscribe();
        bus_ = std::move(other.bus_);
        state_ = std::move(other.state_);
    }
    return *this;
}

Subscription::~Subscription() { unsubscribe(); }

void Subscription::unsubscribe() noexcept {
    if (!state_) return;
    state_->active.store(false, std::memory_order_seq_cst);
    if (auto core = bus_.lock()) {
        try {
            core->remove(state_.get());
        } catch (...) {
            // Out of memory: the entry stays listed but inactive, so it is never called.
        }
    }
    state_.reset();
    bus_.reset();
}

bool Subscription::active() const noexcept {
    return state_ && state_->active.load(std::memory_order_acquire);
}

}  // namespace notify::core
