// The handler port: what a delivery channel (AMQP, SMTP, HTTP, a plugin) implements.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/core/event.hpp"
#include "notify/core/listener.hpp"
#include "notify/core/log.hpp"
#include "notify/core/settings_spec.hpp"
#include "notify/core/message_tap.hpp"

namespace notify::core {

// One event on its way to one listener, or a digest of several.
struct Delivery {
    std::string id;  // unique per (event, listener); the same on every attempt
    std::shared_ptr<const Event> event;
    std::shared_ptr<const Listener> listener;
    int attempt = 1;  // 1 on the first try
    // A digest (only for a handler whose factory takes_digests()): every event it lists,
    // oldest first, `event` being the first; one outcome covers them all. Empty: one event.
    std::vector<std::shared_ptr<const Event>> digest;
};

// The confirmed outcome of one attempt. A value, never an exception.
class DeliveryResult {
public:
    enum class Outcome { delivered, retry, failed };

    // The broker or server confirmed it.
    static DeliveryResult delivered(std::string detail = {});
    // Not confirmed; try again later (after `after` when the server said so).
    static DeliveryResult retry(std::string detail,
                                std::optional<std::chrono::milliseconds> after = std::nullopt);
    // Will never succeed as it is (rejected, bad address, 4xx): goes to the dead letters.
    static DeliveryResult failed(std::string detail);

    Outcome outcome() const noexcept { return outcome_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::optional<std::chrono::milliseconds>& retry_after() const noexcept { return retry_after_; }

private:
    DeliveryResult(Outcome outcome, std::string detail, std::optional<std::chrono::milliseconds> after)
        : outcome_(outcome), detail_(std::move(detail)), retry_after_(after) {}

    Outcome outcome_;
    std::string detail_;
    std::optional<std::chrono::milliseconds> retry_after_;
};

std::string_view to_string(DeliveryResult::Outcome outcome) noexcept;

// Receives the outcome of deliver_async(), exactly once.
using DeliveryCallback = std::function<void(DeliveryResult)>;

// One instance serves every listener of its kind in a process.
class Handler {
public:
    virtual ~Handler() = default;

    // Delivers one event and returns the confirmed outcome. Called from dispatcher worker
    // threads; calls for different deliveries (also of one listener) may overlap, so it must
    // be thread-safe. Should not throw: an exception is caught by the dispatcher and counts
    // as an attempt to retry (it costs that delivery, never the process). May block, but no
    // longer than the handler's own timeouts. Returns `delivered` only once the broker or
    // server confirmed the message. Overrides may be noexcept.
    virtual DeliveryResult deliver(const Delivery& delivery) = 0;

    // The asynchronous form, for handlers that confirm in the background (as the amqp
    // handler does, many messages in flight on one connection): starts the delivery and
    // returns without waiting for the confirmation. `done` is called exactly once with the
    // outcome, from any thread, possibly before this returns; it must not be called while
    // the handler holds a lock that deliver_async() takes. The default calls deliver() and
    // then `done` on the calling thread. Same thread-safety and exception rule as deliver()
    // (after an exception, a later call of `done` is ignored).
    virtual void deliver_async(const Delivery& delivery, DeliveryCallback done);

    // How many deliveries of one listener may be under way at once through
    // deliver_async(). 0 (the default): the handler blocks in deliver(), and
    // [delivery] listener_concurrency limits them, since each holds a worker thread.
    virtual std::size_t window() const noexcept { return 0; }

    // Ends or abandons in-flight work by `deadline`; later deliver() calls return `retry`.
    // Called once, from any thread, after the last deliver() call was started. When it
    // returns, every deliver_async() callback has been called.
    virtual void shutdown(std::chrono::steady_clock::time_point deadline) noexcept = 0;
};

// What a handler would send for one delivery, for `notify listener explain`: where it goes
// and its headers or properties, in the order they are sent, then the body as sent.
struct MessagePreview {
    std::vector<std::pair<std::string, std::string>> fields;  // ("subject", "repo.sync.finish"), ...
    std::string body;
};

// What a handler is created from.
struct HandlerContext {
    // The handler's server.conf section as typed JSON values (durations in milliseconds).
    nlohmann::json section = nlohmann::json::object();
    // For problems found outside a deliver() call (reconnects, ...).
    LogFunction log = log_to_stderr;
};

// Knows one handler kind: describes its settings, checks listeners of that kind and creates
// the handler. A plugin provides one per kind it brings (docs/plugins.md); the CLI's
// listener commands and server.conf's sections are built from these descriptions.
// Implementations are immutable after construction and thread-safe.
class HandlerFactory {
public:
    virtual ~HandlerFactory() = default;

    // The listener kind it serves, e.g. "amqp".
    virtual std::string_view kind() const noexcept = 0;
    // The server.conf section it reads, e.g. "messaging".
    virtual std::string_view config_section() const noexcept = 0;
    // The message formats it accepts; the first is the default.
    virtual std::vector<std::string> formats() const = 0;

    // Its server.conf section: keys, types, defaults, secrets and documentation; the name is
    // config_section(). The default is a section without keys.
    virtual SectionSpec section_spec() const;
    // The settings a listener of this kind takes: `notify listener <kind> create/update`
    // has one option for each. The default is none.
    virtual std::vector<ListenerSetting> listener_settings() const { return {}; }
    // True when its handler sends digests (Delivery::digest): listeners of this kind then
    // take --digest and --max-mails-per-hour. False by default.
    virtual bool takes_digests() const noexcept { return false; }

    // Checks the handler's server.conf section on its own (`notify check-config` calls it
    // for every handler). Throws notify::ConfigError naming the key when the section
    // cannot work; the default accepts every section.
    virtual void check_section(const nlohmann::json& section) const { (void)section; }

    // Checks a listener of this kind against the handler's section and completes it:
    // normalised settings, default format, secret_keys. Throws notify::ValidationError
    // naming the setting at fault.
    virtual void validate(Listener& listener, const nlohmann::json& section) const = 0;

    // Runs at `notify listener <kind> create/update` after validate(), before the listener
    // is stored: makes ready what the listener needs outside notify (the amqp handler makes
    // its exchange). `before` is the stored listener on update, nullptr on create. Throws
    // notify::ValidationError to refuse the listener (nothing is stored); what does not
    // refuse it goes to `log` as a warning. The default does nothing.
    virtual void prepare(const Listener& listener, const Listener* before, const nlohmann::json& section,
                         const LogFunction& log) const;

    // Throws notify::Error when the section cannot work (e.g. a CA file that does not exist).
    virtual std::unique_ptr<Handler> create(const HandlerContext& context) const = 0;

    // The message its handler would send for `delivery` with its server.conf `section`,
    // built as deliver() builds it, without connecting or sending; secrets masked. Throws
    // notify::ValidationError when the delivery could not be sent as it is (a transform that
    // fails on the event, unusable stored settings). The default shows format_message()'s
    // subject, content type and body.
    virtual MessagePreview preview(const Delivery& delivery, const nlohmann::json& section) const;

    // True when `notify listen <kind>` can print what listeners of this kind publish
    // (subscribe() works); false by default.
    virtual bool can_listen() const noexcept { return false; }
    // The options of `notify listen <kind>` besides --subject; none by default.
    virtual std::vector<ListenerSetting> listen_settings() const { return {}; }
    // Starts receiving what is published with a subject matching `pattern` (AMQP topic
    // syntax), for `notify listen`; `options` holds the listen_settings() given, by key.
    // Throws notify::Error when it cannot; the default throws notify::ValidationError.
    virtual std::unique_ptr<MessageTap> subscribe(const nlohmann::json& section, const nlohmann::json& options,
                                                    const std::string& pattern) const;
};

}  // namespace notify::core
