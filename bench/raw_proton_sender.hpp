// The baseline for the amqp handler: a plain Proton C++ sender doing the same confirmed,
// durable sends (one connection, one sender, as many in flight as the broker's credit allows).
#pragma once

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>
#include <proton/tracker.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace notify::bench {

class RawSender : public proton::messaging_handler {
public:
    // `url` without credentials: amqp://host:port; the broker's guest account is used.
    RawSender(std::string url, std::string exchange, std::string subject, std::string body, int count)
        : url_(std::move(url)), exchange_(std::move(exchange)), subject_(std::move(subject)), body_(std::move(body)),
          count_(count) {}

    // Sends everything and returns the seconds from the first send to the last acceptance.
    double run() {
        proton::container(*this).run();
        return std::chrono::duration<double>(end_ - start_).count();
    }
    int accepted() const { return accepted_; }

private:
    void on_container_start(proton::container& c) override {
        proton::connection_options o;
        o.user("guest").password("guest").sasl_allow_insecure_mechs(true).sasl_allowed_mechs("PLAIN");
        c.connect(url_, o);
    }
    void on_connection_open(proton::connection& c) override { c.open_sender("/exchange/" + exchange_); }
    void on_sendable(proton::sender& s) override {
        if (sent_ == 0) start_ = std::chrono::steady_clock::now();
        while (s.credit() > 0 && sent_ < count_) {
            proton::message m;
            m.id(proton::message_id(std::to_string(sent_)));
            m.subject(subject_);
            m.content_type("application/cloudevents+json");
            m.body(proton::binary(body_.begin(), body_.end()));
            m.inferred(true);
            m.durable(true);
            s.send(m);
            ++sent_;
        }
    }
    void on_tracker_accept(proton::tracker& t) override {
        if (++accepted_ == count_) {
            end_ = std::chrono::steady_clock::now();
            t.connection().close();
        }
    }
    void on_tracker_reject(proton::tracker& t) override { t.connection().close(); }

    std::string url_, exchange_, subject_, body_;
    int count_;
    int sent_ = 0;
    int accepted_ = 0;
    std::chrono::steady_clock::time_point start_, end_;
};

}  // namespace notify::bench
