// Confirmed publishing on a Proton container thread.
#include "publisher.hpp"

#include <proton/condition.h>
#include <proton/delivery.h>
#include <proton/disposition.h>
#include <proton/link.h>
#include <proton/object.h>

#include <proton/error_condition.hpp>
#include <proton/sender_options.hpp>
#include <proton/session.hpp>
#include <proton/transport.hpp>
#include <proton/value.hpp>

#include <pthread.h>

#include <algorithm>

#include "connection.hpp"

namespace notify::handlers::amqp {

namespace {

using core::DeliveryResult;

// The C++ API does not expose the condition a broker attaches to a rejection.
struct RejectionReason : proton::tracker {
    explicit RejectionReason(const proton::tracker& t) : proton::tracker(t) {}
    std::string text() const {
        pn_condition_t* c = pn_disposition_condition(pn_delivery_remote(pn_object()));
        if (c == nullptr || !pn_condition_is_set(c)) return "no reason given";
        const char* name = pn_condition_get_name(c);
        const char* description = pn_condition_get_description(c);
        return std::string(name != nullptr ? name : "") + (description != nullptr ? std::string(": ") + description : "");
    }
};

// The C objects under Proton C++ wrappers, for what the C++ API does not offer: sending bytes
// already encoded (sender::send() encodes on the container thread), and finding a send again.
struct RawSender : proton::sender {
    explicit RawSender(const proton::sender& s) : proton::sender(s) {}
    pn_link_t* get() const { return pn_object(); }
};
struct RawTracker : proton::tracker {
    explicit RawTracker(const proton::tracker& t) : proton::tracker(t) {}
    pn_delivery_t* get() const { return pn_object(); }
};

// The AMQP error condition a broker gives for a missing node (RabbitMQ: a missing exchange).
bool not_found(const proton::error_condition& e) { return e.name() == "amqp:not-found"; }

}  // namespace

Publisher::DeliveryRef::DeliveryRef(pn_delivery_t* d) noexcept : d_(d) { pn_incref(d_); }

Publisher::DeliveryRef::~DeliveryRef() {
    if (d_ != nullptr) pn_decref(d_);
}

bool PendingSend::resolve(DeliveryResult result, SendFailure failure) {
    SendCallback done;
    std::function<void(PendingSend*)> forget;
    {
        std::lock_guard lock(mutex_);
        if (resolved_) return false;
        resolved_ = true;
        done.swap(done_);
        forget.swap(forget_);
    }
    if (forget) forget(this);
    if (done) done(std::move(result), failure);
    return true;
}

bool PendingSend::resolved() {
    std::lock_guard lock(mutex_);
    return resolved_;
}

Publisher::Publisher(AmqpSettings settings, core::LogFunction log)
    : settings_(std::move(settings)), log_(std::move(log)), container_(*this, "notify-amqp") {
    // Between a lost connection and the next attempt there is no connection at all: the
    // container must keep running until close() stops it.
    container_.auto_stop(false);
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "notify-amqp");
        try {
            container_.run();
        } catch (const std::exception& e) {
            this->log(core::LogLevel::error, std::string("AMQP container stopped: ") + e.what());
        }
    });
    watchdog_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "notify-amqp-dog");
        watch_deadlines();
    });
}

Publisher::~Publisher() { close(std::chrono::steady_clock::now() + std::chrono::milliseconds(2500)); }

void Publisher::log(core::LogLevel level, const std::string& message) const {
    if (!log_) return;
    try {
        log_(level, message);
    } catch (...) {
    }
}

std::string Publisher::targets() const {
    std::string all;
    for (const auto& url : settings_.urls) all += (all.empty() ? "" : " or ") + url;
    return all;
}

void Publisher::close(std::chrono::steady_clock::time_point deadline) {
    proton::work_queue* queue = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closing || state_ == State::closed) return;
        state_ = State::closing;
        queue = work_queue_;
        work_queue_ = nullptr;
    }
    state_changed_.notify_all();
    // Close the connection first, also one that is still connecting: stopping the
    // container under it leaks Proton's connection and transport (seen by LeakSanitizer).
    // Bounded by `deadline`: a broker that does not answer the close is not waited for.
    // Between two connection attempts there is nothing to close. Should the connection end
    // before this runs, on_transport_close() moves on to closed instead.
    const auto close_now = [this] {
        if (!connection_) {
            {
                std::lock_guard lock(mutex_);
                state_ = State::closed;  // no transport to wait for
            }
            state_changed_.notify_all();
        } else if (!connection_.closed()) {
            connection_.close();  // on_transport_close() moves on to closed
        }
    };
    // The connection's work queue wakes the container thread at once; container::schedule()
    // from another thread may wait for the next I/O event (seen: a 700 ms stop after the last
    // confirmation). Without a connection there is no I/O to wait for.
    if (queue == nullptr || !queue->add(close_now)) container_.schedule(proton::duration(0), close_now);
    const auto until = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    {
        std::unique_lock lock(mutex_);
        state_changed_.wait_until(lock, until, [&] { return state_ == State::closed; });
    }
    container_.stop();
    if (thread_.joinable()) thread_.join();
    if (watchdog_.joinable()) watchdog_.join();
    // The container thread is gone: its members are ours now. Work it never ran is in
    // unresolved_ too.
    in_flight_.clear();
    links_.clear();
    decltype(unresolved_) left;
    {
        std::lock_guard lock(mutex_);
        left.swap(unresolved_);
        incoming_.clear();  // each is in unresolved_ too
    }
    for (auto& [deadline, outcome] : left) outcome->resolve(DeliveryResult::retry("notify is shutting down"));
}

bool Publisher::enter(State next) {
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closing || state_ == State::closed) return false;
        state_ = next;
    }
    state_changed_.notify_all();
    return true;
}

void Publisher::forget(PendingSend* send) {
    auto [first, last] = unresolved_.equal_range(send->deadline());
    for (auto it = first; it != last; ++it) {
        if (it->second.get() == send) {
            unresolved_.erase(it);
            return;
        }
    }
}

void Publisher::wait_for_connection(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline) {
    // Only the first connection is worth waiting for: once an attempt has failed, callers
    // get "retry" at once and the dispatcher's backoff paces them until it is back.
    state_changed_.wait_until(lock, deadline, [&] { return state_ != State::connecting || !last_error_.empty(); });
}

std::optional<std::pair<BrokerInfo, std::uint64_t>> Publisher::connected(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    wait_for_connection(lock, deadline);
    if (state_ != State::open) return std::nullopt;
    return std::make_pair(broker_, generation_);
}

std::string Publisher::last_error() {
    std::lock_guard lock(mutex_);
    return last_error_;
}

std::optional<DeliveryResult> Publisher::refusal_locked() const {
    if (state_ == State::closing || state_ == State::closed) return DeliveryResult::retry("the AMQP connection is closing");
    if (state_ != State::open) {
        return DeliveryResult::retry("not connected to the broker" +
                                     (last_error_.empty() ? std::string() : ": " + last_error_));
    }
    return std::nullopt;
}

void Publisher::publish_async(const std::string& exchange, proton::message message,
                              std::chrono::steady_clock::time_point deadline, SendCallback done) {
    // Refused before it is encoded: while the broker is away, every attempt is.
    std::optional<DeliveryResult> refused;
    {
        std::unique_lock lock(mutex_);
        wait_for_connection(lock, deadline);
        refused = refusal_locked();
    }
    if (refused) {
        done(std::move(*refused), SendFailure::none);
        return;
    }
    // Encoded here, not on the container thread, which serves every sender and spent a
    // third of its time encoding.
    std::vector<char> encoded;
    try {
        message.encode(encoded);
    } catch (const std::bad_alloc&) {
        done(DeliveryResult::retry("out of memory encoding the AMQP message"), SendFailure::none);
        return;
    } catch (const std::exception& e) {
        done(DeliveryResult::failed(std::string("the AMQP message cannot be encoded: ") + e.what()), SendFailure::none);
        return;
    }
    proton::work_queue* queue = nullptr;
    bool wake_watchdog = false;
    {
        std::lock_guard lock(mutex_);
        refused = refusal_locked();  // the connection may have gone meanwhile
        if (!refused) {
            auto outcome = std::make_shared<PendingSend>(deadline, std::move(done), [this](PendingSend* self) {
                std::lock_guard forget_lock(mutex_);
                forget(self);  // whoever resolves it
            });
            const auto at = unresolved_.emplace(deadline, outcome);
            // The watchdog sleeps until the earliest deadline: wake it for an earlier one.
            wake_watchdog = at == unresolved_.begin();
            // One wake-up of the container thread takes everything handed over until it runs.
            if (incoming_.empty()) queue = work_queue_;
            incoming_.push_back({exchange, {std::move(encoded), std::move(outcome)}});
        }
    }
    if (wake_watchdog) state_changed_.notify_all();
    if (refused) {
        done(std::move(*refused), SendFailure::none);
        return;
    }
    if (queue != nullptr && !queue->add([this] { take_incoming(); })) {
        // The connection is closing: what waits for it is retried, unless its close was
        // already handled (then those are resolved, and what waits now is for the next one).
        std::vector<Incoming> failed;
        {
            std::lock_guard lock(mutex_);
            if (work_queue_ == queue) failed.swap(incoming_);
        }
        for (auto& in : failed) in.waiting.outcome->resolve(DeliveryResult::retry("the AMQP connection closed"));
    }
}

void Publisher::take_incoming() {
    std::vector<Incoming> taken;
    {
        std::lock_guard lock(mutex_);
        taken.swap(incoming_);
    }
    for (auto& in : taken) enqueue(in.exchange, std::move(in.waiting));
}

void Publisher::watch_deadlines() {
    const auto seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(settings_.timeout).count());
    const auto running = [this] { return state_ != State::closing && state_ != State::closed; };
    std::unique_lock lock(mutex_);
    while (running()) {
        std::optional<std::chrono::steady_clock::time_point> wake = reconnect_at_;
        if (!unresolved_.empty()) wake = std::min(wake.value_or(unresolved_.begin()->first), unresolved_.begin()->first);
        if (wake) {
            state_changed_.wait_until(lock, *wake);
        } else {
            state_changed_.wait(lock);
        }
        const auto now = std::chrono::steady_clock::now();
        if (running() && reconnect_at_ && *reconnect_at_ <= now) {
            reconnect_at_.reset();
            // Now, not with a delay: only the watchdog waits (see watch_deadlines()).
            container_.schedule(proton::duration(0), [this] { connect_next(); });
        }
        std::vector<std::shared_ptr<PendingSend>> overdue;
        for (auto it = unresolved_.begin(); it != unresolved_.end() && it->first <= now; ++it) {
            overdue.push_back(it->second);
        }
        lock.unlock();
        for (auto& o : overdue) o->resolve(DeliveryResult::retry("the broker did not confirm within " + seconds + " s"));
        lock.lock();
    }
}

// --- container thread -------------------------------------------------------------------

void Publisher::on_container_start(proton::container&) { connect_next(); }

void Publisher::connect_next() {
    if (!enter(State::connecting)) return;
    auto options = connection_options(settings_, false);
    options.handler(*this);
    const std::string& url = settings_.urls[next_url_ % settings_.urls.size()];
    ++next_url_;
    connection_ = container_.connect(url, options);
}

void Publisher::plan_reconnect(bool refused) {
    // A broker that accepts connections only to close them again (refused vhost) must not
    // be asked again and again: the pause grows unless the last connection lasted.
    const bool lasted = opened_at_ && std::chrono::steady_clock::now() - *opened_at_ > std::chrono::seconds(10);
    opened_at_.reset();
    if (lasted) failed_rounds_ = 0;
    std::chrono::milliseconds delay{0};
    if (next_url_ % settings_.urls.size() == 0) {  // every URL tried once more: back off
        const auto longest = refused ? std::chrono::milliseconds(30000) : std::chrono::milliseconds(10000);
        delay = std::min(longest, std::chrono::milliseconds(100L << std::min(failed_rounds_, 9)));
        ++failed_rounds_;
        if (lasted) delay = std::chrono::milliseconds(100);
    }
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::between) return;  // closing
        reconnect_at_ = std::chrono::steady_clock::now() + delay;
    }
    state_changed_.notify_all();
}

void Publisher::on_connection_open(proton::connection& c) {
    connection_ = c;
    const auto props = c.properties();
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closing) return;  // close() closes it
        state_ = State::open;
        work_queue_ = &c.work_queue();
        ++generation_;
        broker_ = broker_info(props);
        last_error_.clear();
    }
    address_style_ = address_style(settings_.address_style, broker_);
    opened_at_ = std::chrono::steady_clock::now();
    state_changed_.notify_all();
    refused_ = false;
    log(core::LogLevel::info, std::string(generation_ > 1 ? "reconnected" : "connected") + " to " +
                                  broker_.product + " " + broker_.version);
    // Messages that waited for a connection go out on new links.
    for (auto& [exchange, link] : links_) {
        if (!link.sender && !link.waiting.empty()) open_link(exchange, link);
    }
}

void Publisher::connection_lost(const std::string& why) {
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::open || state_ == State::connecting) state_ = State::between;
        last_error_ = why;
    }
    state_changed_.notify_all();
    // Proton never sends unsettled messages again after a reconnect: their fate is unknown.
    for (auto& [delivery, sent] : in_flight_) {
        sent.outcome->resolve(DeliveryResult::retry("connection to the broker lost before it confirmed: " + why));
    }
    in_flight_.clear();
}

void Publisher::on_transport_error(proton::transport& t) {
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closing || state_ == State::closed) return;  // close() ends it
    }
    std::string why = "connection to " + targets() + ": " + t.error().what();
    if (why.find("SSL") != std::string::npos) {
        why += " (the broker's certificate must chain to ca_file and name the host of url)";
    }
    log(core::LogLevel::warning, "AMQP " + why + "; reconnecting");
    connection_lost(why);
}

void Publisher::on_connection_error(proton::connection& c) {
    // The broker closed the connection with an error: it refused it (unknown vhost, access),
    // or an operator or a failover forced it closed. on_transport_close() plans the next try.
    const std::string who = settings_.user.empty() ? "anonymous login" : "user '" + settings_.user + "'";
    const bool forced = c.error().name() == "amqp:connection:forced";
    const std::string why = (forced ? std::string("the broker closed the connection: ")
                                    : "the broker refused the connection (" + who + ", vhost '" + settings_.vhost + "'): ") +
                            c.error().what();
    refused_ = !forced;
    log(forced ? core::LogLevel::warning : core::LogLevel::error, "AMQP " + why + (forced ? "; reconnecting" : ""));
    connection_lost(why);
    fail_waiting(why);
}

void Publisher::fail_waiting(const std::string& why) {
    for (auto& [exchange, link] : links_) {
        for (auto& w : link.waiting) w.outcome->resolve(DeliveryResult::retry(why));
    }
    links_.clear();
}

void Publisher::on_transport_close(proton::transport&) {
    connection_ = proton::connection();
    // What publish_async() handed over for this connection (its take_incoming() may never
    // run now) is retried, like the messages waiting for a link.
    std::vector<Incoming> handed;
    std::string why;
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closing) state_ = State::closed;
        if (state_ == State::closed) {
            state_changed_.notify_all();
            return;  // close() resolves what is left once the container has stopped
        }
        state_ = State::between;
        work_queue_ = nullptr;
        why = last_error_.empty() ? "connection to the broker closed" : last_error_;
        handed.swap(incoming_);
    }
    state_changed_.notify_all();
    for (auto& in : handed) in.waiting.outcome->resolve(DeliveryResult::retry(why));
    fail_waiting(why);
    connection_lost(why);
    plan_reconnect(refused_);
}

void Publisher::enqueue(const std::string& exchange, Waiting w) {
    if (w.outcome->resolved()) return;  // its caller gave up meanwhile
    Link& link = links_[exchange];
    link.waiting.push_back(std::move(w));
    if (!link.sender) open_link(exchange, link);
    flush(link);
}

void Publisher::open_link(const std::string& exchange, Link& link) {
    // One session per sender: RabbitMQ 3.x ends the whole session when a target exchange is missing.
    proton::session session = connection_.open_session();
    link.sender = session.open_sender(exchange_address(address_style_, exchange), proton::sender_options().delivery_mode(
                                                                   proton::delivery_mode::AT_LEAST_ONCE));
}

void Publisher::flush(Link& link) {
    if (!link.sender) return;
    pn_link_t* sender = RawSender(link.sender).get();
    while (link.sender.active() && link.sender.credit() > 0 && !link.waiting.empty()) {
        Waiting w = std::move(link.waiting.front());
        link.waiting.pop_front();
        if (w.outcome->resolved()) continue;
        // What sender::send() does in Proton 0.37, with the bytes the calling thread encoded:
        // a delivery, its bytes, the next. Links are opened AT_LEAST_ONCE, so never settled
        // here; Proton 0.38's tracing hook in send() is not called.
        const std::string tag = std::to_string(++next_tag_);
        pn_delivery_t* delivery = pn_delivery(sender, pn_dtag(tag.data(), tag.size()));
        pn_link_send(sender, w.encoded.data(), w.encoded.size());
        pn_link_advance(sender);
        in_flight_.emplace(delivery, InFlight{DeliveryRef(delivery), std::move(w.outcome)});
    }
}

void Publisher::on_sendable(proton::sender& s) {
    for (auto& [exchange, link] : links_) {
        if (link.sender == s) flush(link);
    }
}

void Publisher::fail_link(const std::string& exchange, const std::string& why, SendFailure failure) {
    const auto it = links_.find(exchange);
    if (it == links_.end()) return;
    Link& link = it->second;
    pn_link_t* sender = link.sender ? RawSender(link.sender).get() : nullptr;
    for (auto t = in_flight_.begin(); t != in_flight_.end();) {
        if (pn_delivery_link(t->first) == sender) {
            t->second.outcome->resolve(DeliveryResult::retry(why), failure);
            t = in_flight_.erase(t);
        } else {
            ++t;
        }
    }
    for (auto& w : link.waiting) w.outcome->resolve(DeliveryResult::retry(why), failure);
    links_.erase(it);  // the next message to this exchange opens a new link
}

void Publisher::on_session_error(proton::session& s) {
    std::vector<std::string> failed;
    for (auto& [exchange, link] : links_) {
        if (link.sender && link.sender.session() == s) failed.push_back(exchange);
    }
    const auto failure = not_found(s.error()) ? SendFailure::exchange_not_found : SendFailure::none;
    for (const auto& exchange : failed) {
        fail_link(exchange, "the broker ended the session for exchange '" + exchange + "': " + s.error().what(), failure);
    }
}

void Publisher::on_sender_error(proton::sender& s) {
    std::vector<std::string> failed;
    for (auto& [exchange, link] : links_) {
        if (link.sender == s) failed.push_back(exchange);
    }
    const auto failure = not_found(s.error()) ? SendFailure::exchange_not_found : SendFailure::none;
    for (const auto& exchange : failed) {
        fail_link(exchange, "the broker closed the link to exchange '" + exchange + "': " + s.error().what(), failure);
    }
}

void Publisher::on_tracker_settle(proton::tracker& t) {
    const auto it = in_flight_.find(RawTracker(t).get());
    if (it == in_flight_.end()) return;
    PendingSend& outcome = *it->second.outcome;
    switch (t.state()) {
        case proton::transfer::ACCEPTED:
            outcome.resolve(DeliveryResult::delivered("accepted by the broker"));
            break;
        case proton::transfer::REJECTED:
            outcome.resolve(DeliveryResult::failed("rejected by the broker: " + RejectionReason(t).text()));
            break;
        case proton::transfer::RELEASED:
            outcome.resolve(DeliveryResult::retry("released by the broker"));
            break;
        case proton::transfer::MODIFIED:
            outcome.resolve(DeliveryResult::retry("not delivered (modified) by the broker"));
            break;
        default:
            outcome.resolve(DeliveryResult::retry("settled by the broker without an outcome"));
            break;
    }
    in_flight_.erase(it);
}

}  // namespace notify::handlers::amqp
