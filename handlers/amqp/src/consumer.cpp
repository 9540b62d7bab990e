// Consumer: its own expiring queue bound to a pattern, read by a Proton receiver.
#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/scalar.hpp>
#include <proton/types.hpp>
#include <proton/transport.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "address.hpp"
#include "connection.hpp"
#include "management.hpp"
#include "notify/core/error.hpp"
#include "notify/handlers/amqp/amqp.hpp"

namespace notify::handlers::amqp {

namespace {

std::string random_suffix() {
    std::random_device device;
    std::uniform_int_distribution<int> hex(0, 15);
    std::string out;
    for (int i = 0; i < 12; ++i) out += "0123456789abcdef"[hex(device)];
    return out;
}

std::string body_text(const proton::value& body) {
    if (body.type() == proton::BINARY) {
        const auto bytes = proton::get<proton::binary>(body);
        return std::string(bytes.begin(), bytes.end());
    }
    if (body.type() == proton::STRING) return proton::get<std::string>(body);
    return proton::to_string(body);
}

}  // namespace

struct Consumer::Impl : proton::messaging_handler {
    Impl(AmqpSettings s, std::string exchange, std::string pattern)
        : settings(std::move(s)), management(settings), queue("notify-listen-" + random_suffix()), container(*this) {
        // A lone "*" means every event in notify's patterns; on the broker that is "#".
        if (pattern == "*") pattern = "#";
        management.declare_queue(queue, std::chrono::seconds(60));
        try {
            management.bind(exchange, queue, pattern);
        } catch (...) {
            forget_queue();
            throw;
        }
        thread = std::thread([this] { container.run(); });
        std::unique_lock lock(mutex);
        const bool answered = changed.wait_for(lock, settings.timeout, [&] { return ready || !error.empty(); });
        if (!ready) {
            const std::string why = answered ? error : "no answer from the broker";
            lock.unlock();
            stop();
            throw Error("cannot receive from queue '" + queue + "': " + why);
        }
    }

    void stop() {
        container.stop();
        if (thread.joinable()) thread.join();
        forget_queue();
    }

    void forget_queue() {
        try {
            management.delete_queue(queue);
        } catch (const std::exception&) {
            // auto_delete and x-expires remove it anyway
        }
    }

    void on_container_start(proton::container& c) override {
        auto options = connection_options(settings, true);
        options.handler(*this);
        c.connect(settings.urls.front(), options);
    }

    void on_connection_open(proton::connection& c) override {
        if (c.reconnected()) return;
        const auto style = address_style(settings.address_style, broker_info(c.properties()));
        c.open_receiver(queue_address(style, queue), proton::receiver_options().credit_window(256));
    }

    void on_receiver_open(proton::receiver&) override { set_ready(); }

    void on_message(proton::delivery&, proton::message& m) override {
        ReceivedMessage r;
        r.subject = m.subject();
        r.message_id = proton::to_string(m.id());
        r.content_type = m.content_type();
        r.durable = m.durable();
        if (m.creation_time().milliseconds() != 0) {
            r.creation_time = core::Timestamp(std::chrono::milliseconds(m.creation_time().milliseconds()));
        }
        r.body = body_text(m.body());
        if (!m.properties().empty()) {
            std::map<std::string, proton::scalar> properties;
            proton::get(m.properties().value(), properties);
            for (const auto& [name, value] : properties) {
                r.properties[name] = value.type() == proton::STRING ? proton::get<std::string>(value) : proton::to_string(value);
            }
        }
        {
            std::lock_guard lock(mutex);
            inbox.push_back(std::move(r));
        }
        changed.notify_all();
    }

    void on_transport_error(proton::transport& t) override { set_error(t.error().what()); }
    void on_connection_error(proton::connection& c) override { set_error(c.error().what()); }
    void on_receiver_error(proton::receiver& r) override { set_error(r.error().what()); }

    void set_ready() {
        {
            std::lock_guard lock(mutex);
            ready = true;
        }
        changed.notify_all();
    }

    void set_error(std::string why) {
        {
            std::lock_guard lock(mutex);
            error = std::move(why);
        }
        changed.notify_all();
    }

    AmqpSettings settings;
    Management management;
    std::string queue;
    proton::container container;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<ReceivedMessage> inbox;
    bool ready = false;
    std::string error;
};

Consumer::Consumer(const nlohmann::json& messaging, std::string exchange, std::string pattern)
    : impl_(std::make_unique<Impl>(AmqpSettings::from_section(messaging), std::move(exchange), std::move(pattern))) {}

Consumer::~Consumer() { impl_->stop(); }

const std::string& Consumer::queue() const noexcept { return impl_->queue; }

std::optional<ReceivedMessage> Consumer::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    if (!impl_->changed.wait_for(lock, timeout, [&] { return !impl_->inbox.empty(); })) return std::nullopt;
    ReceivedMessage r = std::move(impl_->inbox.front());
    impl_->inbox.pop_front();
    return r;
}

}  // namespace notify::handlers::amqp
