// The amqp handler and its factory.
#include <proton/message.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <deque>
#include <map>
#include <thread>

#include <pthread.h>

#include "management.hpp"
#include "message.hpp"
#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"
#include "notify/handlers/amqp/amqp.hpp"
#include "publisher.hpp"

namespace notify::handlers::amqp {

namespace {

using core::DeliveryResult;

// Publishes to the exchange as it is; when the broker answers that the exchange does not
// exist (amqp:not-found), the creator thread makes it through the management API (so
// brokers whose management port is closed serve existing exchanges) and sends once more.
class AmqpHandler : public core::Handler {
public:
    AmqpHandler(const AmqpSettings& settings, core::LogFunction log)
        : settings_(settings), log_(log), publisher_(settings, log), management_(settings, &stopping_),
          creator_([this] { create_missing(); }) {}

    ~AmqpHandler() override { shutdown(std::chrono::steady_clock::now() + std::chrono::milliseconds(2500)); }

    DeliveryResult deliver(const core::Delivery& d) noexcept override {
        std::mutex mutex;
        std::condition_variable ready;
        std::optional<DeliveryResult> result;
        deliver_async(d, [&](DeliveryResult r) {
            std::lock_guard lock(mutex);
            result = std::move(r);
            ready.notify_all();
        });
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return result.has_value(); });
        return std::move(*result);
    }

    void deliver_async(const core::Delivery& d, core::DeliveryCallback done) noexcept override {
        send(d, std::move(done), settings_.auto_create_exchange);
    }

    // Messages of one listener in flight at once: enough to keep a connection busy.
    std::size_t window() const noexcept override { return 128; }

    // Management API calls under way end at once; messages not confirmed by `deadline` are
    // given up (retried later).
    void shutdown(std::chrono::steady_clock::time_point deadline) noexcept override {
        stopping_.cancel();
        std::deque<Missing> left;
        {
            std::lock_guard lock(mutex_);
            stopped_ = true;
            left.swap(missing_);
        }
        wake_.notify_all();
        if (creator_.joinable()) creator_.join();
        for (auto& m : left) m.done(DeliveryResult::retry("notify stopped before exchange '" + m.exchange + "' was created"));
        publisher_.close(deadline);
    }

private:
    // A delivery whose exchange the broker said is missing.
    struct Missing {
        core::Delivery delivery;
        std::string exchange;
        std::string why;  // the broker's answer
        core::DeliveryCallback done;
    };

    void send(const core::Delivery& d, core::DeliveryCallback done, bool may_create) noexcept {
        try {
            const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
            std::string exchange = d.listener->settings.value("exchange", settings_.topic_exchange);
            auto message = make_message(d, d.listener->settings.value("cloudevents_mode", settings_.cloudevents_mode));
            publisher_.publish_async(
                exchange, std::move(message), deadline,
                [this, d, exchange, may_create, done = std::move(done)](DeliveryResult r, SendFailure failure) mutable {
                    if (may_create && failure == SendFailure::exchange_not_found) {
                        defer(Missing{d, exchange, r.detail(), std::move(done)});
                    } else {
                        done(std::move(r));
                    }
                });
        } catch (const notify::ValidationError& e) {
            done(DeliveryResult::failed(e.what()));
        } catch (const std::exception& e) {
            done(DeliveryResult::retry(std::string("amqp handler: ") + e.what()));
        }
    }

    // From the container thread: the management API is called on the creator thread.
    void defer(Missing m) {
        std::unique_lock lock(mutex_);
        if (stopped_) {
            lock.unlock();
            m.done(DeliveryResult::retry("notify stopped before exchange '" + m.exchange + "' was created"));
            return;
        }
        missing_.push_back(std::move(m));
        lock.unlock();
        wake_.notify_all();
    }

    // The creator thread: creates each missing exchange (once for a burst of deliveries to
    // it) and sends the deliveries again, without creating a second time.
    void create_missing() {
        pthread_setname_np(pthread_self(), "notify-amqp-mk");
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait(lock, [&] { return stopped_ || !missing_.empty(); });
            if (stopped_) return;
            Missing m = std::move(missing_.front());
            missing_.pop_front();
            lock.unlock();
            auto refused = create(m.exchange, m.why);
            if (refused) {
                m.done(std::move(*refused));
            } else {
                send(m.delivery, std::move(m.done), false);
            }
            lock.lock();
        }
    }

    // Creates `exchange` unless it was created in the last seconds; the outcome of the
    // delivery when that fails.
    std::optional<DeliveryResult> create(const std::string& exchange, const std::string& why) {
        const auto now = std::chrono::steady_clock::now();
        if (const auto it = created_.find(exchange); it != created_.end() && now - it->second < std::chrono::seconds(5)) {
            return std::nullopt;
        }
        const std::string missing = "exchange '" + exchange + "' does not exist on the broker (" + why + ")";
        const auto broker = publisher_.connected(now);
        if (broker && (broker->first.product != "RabbitMQ" || broker->first.version.rfind("3.", 0) != 0)) {
            return DeliveryResult::retry(missing + "; notify creates exchanges only on RabbitMQ 3.x: create it "
                                         "(docs/amqp.md)");
        }
        try {
            management_.ensure_topic_exchange(exchange);
        } catch (const ManagementError& e) {
            const std::string text = missing + ", and notify cannot create it: " + e.what();
            return e.permanent() ? DeliveryResult::failed(text) : DeliveryResult::retry(text);
        }
        created_[exchange] = now;
        if (log_) log_(core::LogLevel::info, "created exchange '" + exchange + "' (topic)");
        return std::nullopt;
    }

    const AmqpSettings settings_;
    const core::LogFunction log_;
    curl::Cancellation stopping_;
    Publisher publisher_;
    const Management management_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Missing> missing_;
    bool stopped_ = false;
    std::map<std::string, std::chrono::steady_clock::time_point> created_;  // creator thread only
    std::thread creator_;
};

// `notify listen amqp`: a Consumer on its own queue.
class ExchangeSubscription : public core::MessageTap {
public:
    ExchangeSubscription(const nlohmann::json& section, const std::string& exchange, const std::string& pattern)
        : consumer_(section, exchange, pattern), exchange_(exchange) {}

    std::optional<core::ReceivedMessage> next(std::chrono::milliseconds timeout) override {
        auto m = consumer_.next(timeout);
        if (!m) return std::nullopt;
        return core::ReceivedMessage{std::move(m->subject), std::move(m->message_id), std::move(m->content_type),
                                     std::move(m->body)};
    }

    std::string source() const override { return "exchange '" + exchange_ + "'"; }

private:
    Consumer consumer_;
    std::string exchange_;
};

class AmqpFactory : public core::HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "amqp"; }
    std::string_view config_section() const noexcept override { return "messaging"; }
    std::vector<std::string> formats() const override { return core::all_message_formats(); }

    core::SectionSpec section_spec() const override { return messaging_section(); }

    core::MessagePreview preview(const core::Delivery& d, const nlohmann::json& section) const override {
        const auto settings = AmqpSettings::from_section(section);
        const auto message = make_message(d, d.listener->settings.value("cloudevents_mode", settings.cloudevents_mode));
        return preview_of(message, d.listener->settings.value("exchange", settings.topic_exchange));
    }

    std::vector<core::ListenerSetting> listener_settings() const override {
        return {core::ListenerSetting("--exchange", "exchange",
                                      "Topic exchange (default: [messaging] topic_exchange); created when missing")
                    .with_default_from("topic_exchange"),
                core::ListenerSetting("--cloudevents-mode", "cloudevents_mode",
                                      "How the cloudevents format is sent: binary or structured (default: [messaging] "
                                      "cloudevents_mode)")
                    .with_choices({"binary", "structured"})
                    .with_default_from("cloudevents_mode"),
                core::ListenerSetting("--property", "properties",
                                      "Message property NAME=VALUE: app-id, content-encoding, correlation-id, priority "
                                      "(0-255), ttl (e.g. 10m), user-id (the connection's user); app-id and "
                                      "correlation-id may use placeholders as --amqp-header; repeatable")
                    .with_shape(core::ListenerSetting::Shape::key_value),
                core::ListenerSetting("--amqp-header", "headers",
                                      "Application property NAME=VALUE (a 0-9-1 header), VALUE may use {type} {id} "
                                      "{time} {source} {effective} {data.NAME}; repeatable")
                    .with_shape(core::ListenerSetting::Shape::key_value)};
    }

    void check_section(const nlohmann::json& section) const override { (void)AmqpSettings::from_section(section); }

    void validate(core::Listener& listener, const nlohmann::json& section) const override {
        // A listener is refused while [messaging] cannot work.
        const auto settings = AmqpSettings::from_section(section);
        core::check_listener_format(kind(), listener.format);
        check_message_settings(listener.settings, settings.user);
        for (const auto& [key, value] : listener.settings.items()) {
            const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
            if (key == "exchange") {
                check_exchange(text);
            } else if (key == "cloudevents_mode") {
                if (text != "binary" && text != "structured") {
                    throw ValidationError("invalid cloudevents_mode " + core::quote_text(text) + ": binary or structured");
                }
            } else if (key != "properties" && key != "headers") {
                throw ValidationError("unknown setting " + core::quote_text(key) +
                                      " for an amqp listener (known: exchange, cloudevents_mode, properties, headers)");
            }
        }
    }

    // The exchange exists (as a topic exchange) before the listener is stored. An exchange
    // the broker refuses (another type, refused credentials, an unknown vhost) refuses the
    // listener; an unreachable broker only warns, since the handler makes the exchange
    // before its first publish.
    void prepare(const core::Listener& listener, const core::Listener* before, const nlohmann::json& section,
                 const core::LogFunction& log) const override {
        const auto exchange = listener_exchange(listener, section);
        if (before != nullptr && listener_exchange(*before, section) == exchange) return;
        try {
            ensure_exchange(section, exchange);
        } catch (const ExchangeRefused& e) {
            throw ValidationError(std::string(e.what()) + "; nothing was stored");
        } catch (const Error& e) {
            log(core::LogLevel::warning, "exchange '" + exchange + "' not checked now (" + e.what() +
                                             "); it is created before the first publish");
        }
    }

    std::unique_ptr<core::Handler> create(const core::HandlerContext& context) const override {
        return std::make_unique<AmqpHandler>(AmqpSettings::from_section(context.section), context.log);
    }

    bool can_listen() const noexcept override { return true; }

    std::vector<core::ListenerSetting> listen_settings() const override {
        return {{"--exchange", "exchange", "Exchange (default: [messaging] topic_exchange)"}};
    }

    std::unique_ptr<core::MessageTap> subscribe(const nlohmann::json& section, const nlohmann::json& options,
                                                  const std::string& pattern) const override {
        return std::make_unique<ExchangeSubscription>(section, listener_exchange_of(options, section), pattern);
    }

private:
    static std::string listener_exchange_of(const nlohmann::json& settings, const nlohmann::json& section) {
        if (settings.contains("exchange") && settings.at("exchange").is_string()) return settings.at("exchange");
        return section.value("topic_exchange", std::string("amq.topic"));
    }
    static std::string listener_exchange(const core::Listener& listener, const nlohmann::json& section) {
        return listener_exchange_of(listener.settings, section);
    }
};

}  // namespace

std::unique_ptr<core::HandlerFactory> make_factory() { return std::make_unique<AmqpFactory>(); }

void register_handler(core::HandlerRegistry& registry) { registry.add(make_factory()); }

void ensure_exchange(const nlohmann::json& messaging, std::string_view exchange) {
    const auto settings = AmqpSettings::from_section(messaging);
    if (!settings.auto_create_exchange) return;
    try {
        Management(settings).ensure_topic_exchange(exchange);
    } catch (const ManagementError& e) {
        if (e.permanent()) throw ExchangeRefused(e.what());
        throw;
    }
}

}  // namespace notify::handlers::amqp
