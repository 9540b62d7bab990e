// The mqtt handler on libmosquitto's client: one connection per process, many messages in
// flight; the handler's network thread reconnects with backoff, libmosquitto sends again
// what the broker had not acknowledged, and messages wait for a connection in the handler.
#include "client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::mqtt {

namespace {

using core::DeliveryResult;
using Clock = std::chrono::steady_clock;

struct Library {
    Library() { mosquitto_lib_init(); }
};

void library_once() { static Library library; }

class MqttHandler : public core::Handler {
public:
    MqttHandler(MqttSettings settings, core::LogFunction log) : settings_(std::move(settings)), log_(std::move(log)) {
        library_once();
        client_ = mosquitto_new(settings_.client_id.c_str(), true, this);
        if (client_ == nullptr) throw Error("mqtt: cannot create a client");
        mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        // The handler's own network thread runs the client; publishing comes from others.
        mosquitto_threaded_set(client_, true);
        if (!settings_.username.empty()) {
            mosquitto_username_pw_set(client_, settings_.username.c_str(),
                                      settings_.password.empty() ? nullptr : settings_.password.c_str());
        }
        if (settings_.tls) {
            // Host names are verified (libmosquitto's default, never turned off here).
            const int rc = settings_.ca_file.empty()
                               ? mosquitto_int_option(client_, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                               : mosquitto_tls_set(client_, settings_.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
            if (rc != MOSQ_ERR_SUCCESS) throw Error(std::string("mqtt: TLS setup failed: ") + mosquitto_strerror(rc));
        }
        mosquitto_connect_v5_callback_set(client_, &MqttHandler::on_connect);
        mosquitto_disconnect_v5_callback_set(client_, &MqttHandler::on_disconnect);
        mosquitto_publish_v5_callback_set(client_, &MqttHandler::on_publish);
        mosquitto_log_callback_set(client_, &MqttHandler::on_log);
        network_ = std::thread([this] { run_network(); });
        watchdog_ = std::thread([this] { watch(); });
    }

    ~MqttHandler() override {
        shutdown(Clock::now());
        mosquitto_destroy(client_);
    }

    DeliveryResult deliver(const core::Delivery&) noexcept override {
        return DeliveryResult::retry("the mqtt handler delivers asynchronously only");
    }

    std::size_t window() const noexcept override { return 256; }

    void deliver_async(const core::Delivery& delivery, core::DeliveryCallback done) noexcept override {
        try {
            publish(delivery, std::move(done));
        } catch (const std::exception& e) {
            // publish() throws only before it handed `done` on.
            done(DeliveryResult::failed(std::string("mqtt: ") + e.what()));
        }
    }

    void shutdown(Clock::time_point deadline) noexcept override {
        std::unique_lock lock(mutex_);
        if (stopped_) return;
        closing_ = true;
        idle_.wait_until(lock, deadline, [&] {
            return pending_.empty() && completions_.empty() && (held_.empty() || !connected_);
        });
        stopped_ = true;
        auto left = std::move(pending_);
        pending_.clear();
        auto held = std::move(held_);
        held_.clear();
        const std::string unsent = connected_ ? "notify stopped before it was sent" : no_connection();
        lock.unlock();
        wake_.notify_all();
        if (watchdog_.joinable()) watchdog_.join();
        stop_network_ = true;
        mosquitto_disconnect(client_);
        network_wake_.notify_all();
        if (network_.joinable()) network_.join();
        for (auto& [mid, entry] : left) entry.done(DeliveryResult::retry("notify stopped before the broker acknowledged it"));
        for (auto& out : held) out.done(DeliveryResult::retry(unsent));
    }

private:
    struct Pending {
        core::DeliveryCallback done;
        Clock::time_point since;
    };

    // A message waiting for a connection, before libmosquitto has seen it.
    struct Outgoing {
        std::string topic, body, content_type, type, id;
        int qos;
        core::DeliveryCallback done;
        Clock::time_point since;
    };

    static MqttHandler& self(void* object) { return *static_cast<MqttHandler*>(object); }

    std::string endpoint() const {
        return std::string(settings_.tls ? "mqtts://" : "mqtt://") + settings_.host + ":" + std::to_string(settings_.port);
    }

    // Why nothing can be sent; mutex_ held.
    std::string no_connection() const {
        return "mqtt: no connection to " + endpoint() + (last_error_.empty() ? "" : " (" + last_error_ + ")");
    }

    static std::string error_text(int rc) {
        return core::escape_controls(rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc));
    }

    void publish(const core::Delivery& delivery, core::DeliveryCallback done) {
        const auto& listener = *delivery.listener;
        auto message = core::format_message(*delivery.event, listener);
        const std::string prefix = listener.settings.value("topic_prefix", settings_.topic_prefix);
        Outgoing out{topic_for(prefix, delivery.event->type()),
                     std::move(message.body),
                     std::move(message.content_type),
                     delivery.event->type(),
                     delivery.event->id(),
                     listener.settings.value("qos", 1),
                     std::move(done),
                     Clock::now()};
        {
            std::unique_lock lock(mutex_);
            if (closing_) {
                lock.unlock();
                out.done(DeliveryResult::retry("notify is stopping"));
                return;
            }
            if (!connected_) {
                // Held here, not by libmosquitto, until connected: a message that waits too
                // long is given back to the dispatcher, which must not leave a copy behind.
                held_.push_back(std::move(out));
                return;
            }
        }
        send(std::move(out));
    }

    void send(Outgoing out) {
        mosquitto_property* properties = nullptr;
        if (v5_) {
            mosquitto_property_add_string(&properties, MQTT_PROP_CONTENT_TYPE, out.content_type.c_str());
            mosquitto_property_add_string_pair(&properties, MQTT_PROP_USER_PROPERTY, "event-type", out.type.c_str());
            mosquitto_property_add_string_pair(&properties, MQTT_PROP_USER_PROPERTY, "event-id", out.id.c_str());
            mosquitto_property_add_string_pair(&properties, MQTT_PROP_USER_PROPERTY, "content-type",
                                               out.content_type.c_str());
        }
        int mid = 0;
        const int rc = mosquitto_publish_v5(client_, &mid, out.topic.c_str(), static_cast<int>(out.body.size()),
                                            out.body.data(), out.qos, false, properties);
        mosquitto_property_free_all(&properties);
        if (rc != MOSQ_ERR_SUCCESS && !queued_anyway(rc, out.qos)) {
            out.done(DeliveryResult::retry("mqtt: cannot publish to " + endpoint() + ": " + error_text(rc)));
            return;
        }
        std::unique_lock lock(mutex_);
        // The acknowledgement may have come first (libmosquitto's thread): then it waits here.
        if (const auto early = acknowledged_.find(mid); early != acknowledged_.end()) {
            const auto result = early->second.first;
            acknowledged_.erase(early);
            lock.unlock();
            out.done(outcome(result, endpoint()));
            return;
        }
        pending_.emplace(mid, Pending{std::move(out.done), Clock::now()});
    }

    // A QoS 1 or 2 message that passed libmosquitto's checks is queued before it is sent:
    // when sending fails because the connection just went, libmosquitto still holds it and
    // sends it once connected again, so its acknowledgement is awaited like any other.
    static bool queued_anyway(int rc, int qos) {
        return qos > 0 && (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO);
    }

    // MQTT 5 reason codes below 0x80 are successes: 0x10 "no matching subscribers" means
    // the broker took the message, which is all a publisher can ask.
    static DeliveryResult outcome(int reason, const std::string& endpoint) {
        if (reason < 0x80) return DeliveryResult::delivered("acknowledged by " + endpoint);
        return refused(reason);
    }

    static DeliveryResult refused(int reason) {
        const std::string text = "the broker refused it: " + std::string(mosquitto_reason_string(reason));
        // 0x87 not authorized, 0x90 topic name invalid, 0x99 payload format invalid: permanent.
        if (reason == 0x87 || reason == 0x90 || reason == 0x99) return DeliveryResult::failed(text);
        return DeliveryResult::retry(text);
    }

    static void on_connect(mosquitto*, void* object, int rc, int, const mosquitto_property*) {
        auto& h = self(object);
        if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION || rc == 1) {
            // A broker without MQTT 5: 3.1.1 on the next attempt, without user properties.
            h.v5_ = false;
            mosquitto_int_option(h.client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
            return;
        }
        if (rc != 0) {
            h.log_(core::LogLevel::warning, "mqtt: " + h.endpoint() + " refused the connection: " +
                                                 mosquitto_reason_string(rc));
            return;
        }
        h.connected_once_ = true;
        std::lock_guard lock(h.mutex_);
        h.connected_ = true;
        h.last_error_.clear();
        // libmosquitto sends again what waited for the connection: the timeout starts now.
        const auto now = Clock::now();
        for (auto& [mid, entry] : h.pending_) entry.since = now;
        h.wake_.notify_all();  // the held messages go out
        if (h.disconnected_) {
            h.log_(core::LogLevel::info, "mqtt: connected again to " + h.endpoint());
            h.disconnected_ = false;
        }
    }

    static void on_disconnect(mosquitto*, void* object, int rc, const mosquitto_property*) {
        auto& h = self(object);
        std::lock_guard lock(h.mutex_);
        const bool was_connected = h.connected_;
        h.connected_ = false;
        h.idle_.notify_all();  // a stop waits for held messages no longer
        if (rc != 0 && was_connected && !h.closing_) {
            h.disconnected_ = true;
            h.log_(core::LogLevel::warning, "mqtt: lost the connection to " + h.endpoint() +
                                                "; reconnecting (unacknowledged messages are sent again)");
        }
    }

    // libmosquitto's own errors (a refused TLS handshake, a certificate that does not
    // verify) are the only word on why connecting fails: each new one is logged once and
    // named by deliveries that time out.
    static void on_log(mosquitto*, void* object, int level, const char* text) {
        if ((level & MOSQ_LOG_ERR) == 0 || text == nullptr) return;
        auto& h = self(object);
        const std::string message = core::escape_controls(text);
        {
            std::lock_guard lock(h.mutex_);
            if (message == h.last_error_) return;
            h.last_error_ = message;
        }
        h.log_(core::LogLevel::warning, "mqtt: " + h.endpoint() + ": " + message);
    }

    static void on_publish(mosquitto*, void* object, int mid, int reason, const mosquitto_property*) {
        auto& h = self(object);
        std::unique_lock lock(h.mutex_);
        const auto it = h.pending_.find(mid);
        if (it == h.pending_.end()) {
            h.acknowledged_[mid] = {reason, Clock::now()};
            return;
        }
        // libmosquitto holds its own locks here: the outcome is reported from the
        // handler's thread instead, so that no lock of the caller's is ever taken under them.
        h.completions_.emplace_back(std::move(it->second.done), outcome(reason, h.endpoint()));
        h.pending_.erase(it);
        lock.unlock();
        h.wake_.notify_all();
    }

    // The network thread: connects, runs libmosquitto's loop, and after a failed or lost
    // connection waits (1 s doubling to 30 s, back to 1 s once connected) and connects again.
    // libmosquitto sends what the broker had not acknowledged again after a reconnect.
    void run_network() {
        const int keepalive = static_cast<int>(settings_.keepalive.count() / 1000);
        auto delay = std::chrono::seconds(1);
        bool first = true;
        std::string last_failure;
        while (!stop_network_) {
            int rc = first ? mosquitto_connect_async(client_, settings_.host.c_str(), settings_.port, keepalive)
                           : mosquitto_reconnect_async(client_);
            first = false;
            while (rc == MOSQ_ERR_SUCCESS && !stop_network_) rc = mosquitto_loop(client_, 200, 1);
            if (stop_network_) break;
            if (connected_once_.exchange(false)) {
                delay = std::chrono::seconds(1);
                last_failure.clear();
            }
            if (const std::string failure = error_text(rc); failure != last_failure) {
                last_failure = failure;
                log_(core::LogLevel::warning, "mqtt: no connection to " + endpoint() + ": " + failure + "; retrying");
            }
            std::unique_lock lock(network_mutex_);
            network_wake_.wait_for(lock, delay, [&] { return stop_network_.load(); });
            delay = std::min<std::chrono::seconds>(delay * 2, std::chrono::seconds(30));
        }
    }

    // The handler's thread: reports the broker's acknowledgements, sends the held messages
    // once connected, gives up on messages unacknowledged [mqtt] timeout after they were
    // sent (they are retried, which may duplicate one the broker has after all) and on held
    // ones that waited as long, and forgets stray acknowledgements. Messages libmosquitto
    // holds while the connection is down wait for it: their time starts again once
    // connected. Connecting is the network thread's alone.
    void watch() {
        std::unique_lock lock(mutex_);
        auto next_sweep = Clock::now() + std::chrono::seconds(1);
        while (true) {
            wake_.wait_until(lock, next_sweep, [&] {
                return stopped_ || !completions_.empty() || (connected_ && !held_.empty());
            });
            auto ready = std::move(completions_);
            completions_.clear();
            std::vector<Outgoing> to_send;
            if (connected_ && !stopped_) to_send.swap(held_);
            std::vector<std::pair<core::DeliveryCallback, DeliveryResult>> late;
            const auto now = Clock::now();
            if (now >= next_sweep && !stopped_) {
                next_sweep = now + std::chrono::seconds(1);
                expire(now, late);
            }
            const bool stop = stopped_;
            lock.unlock();
            for (auto& [done, result] : ready) done(std::move(result));
            for (auto& out : to_send) send(std::move(out));
            for (auto& [done, result] : late) done(std::move(result));
            lock.lock();
            if (!ready.empty() || !late.empty() || !to_send.empty()) idle_.notify_all();
            if (stop && completions_.empty()) return;
        }
    }

    // Takes out what waited longer than [mqtt] timeout; mutex_ held.
    void expire(Clock::time_point now, std::vector<std::pair<core::DeliveryCallback, DeliveryResult>>& late) {
        if (connected_) {
            for (auto it = pending_.begin(); it != pending_.end();) {
                if (now - it->second.since < settings_.timeout) {
                    ++it;
                    continue;
                }
                late.emplace_back(std::move(it->second.done),
                                  DeliveryResult::retry("mqtt: no acknowledgement from " + endpoint() + " within the timeout"));
                it = pending_.erase(it);
            }
        }
        const auto waited = [&](const Outgoing& out) { return now - out.since >= settings_.timeout; };
        for (auto& out : held_) {
            if (waited(out)) late.emplace_back(std::move(out.done), DeliveryResult::retry(no_connection()));
        }
        held_.erase(std::remove_if(held_.begin(), held_.end(), waited), held_.end());
        for (auto it = acknowledged_.begin(); it != acknowledged_.end();) {
            it = now - it->second.second > std::chrono::seconds(2) ? acknowledged_.erase(it) : std::next(it);
        }
    }

    const MqttSettings settings_;
    const core::LogFunction log_;
    mosquitto* client_ = nullptr;
    std::atomic<bool> v5_{true};

    std::mutex mutex_;
    std::condition_variable idle_;
    std::condition_variable wake_;
    std::map<int, Pending> pending_;                                          // by message id
    std::vector<Outgoing> held_;                                              // until connected
    std::vector<std::pair<core::DeliveryCallback, DeliveryResult>> completions_;  // to report
    std::map<int, std::pair<int, Clock::time_point>> acknowledged_;           // before publish() stored them
    bool closing_ = false;
    bool stopped_ = false;
    bool disconnected_ = false;
    bool connected_ = false;
    std::string last_error_;  // libmosquitto's last error message, until the next connection
    std::thread watchdog_;
    std::thread network_;
    std::atomic<bool> stop_network_{false};
    std::atomic<bool> connected_once_{false};  // since the network thread last looked
    std::mutex network_mutex_;
    std::condition_variable network_wake_;

};

}  // namespace

std::unique_ptr<core::Handler> make_handler(const MqttSettings& settings, core::LogFunction log) {
    return std::make_unique<MqttHandler>(settings, std::move(log));
}

}  // namespace notify::handlers::mqtt
