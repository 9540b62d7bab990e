// Text and JSON lines for notify serve's log.
#include "service_log.hpp"

#include <mutex>

#include <nlohmann/json.hpp>

#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::cli {

struct ServiceLog::Sink {
    std::ostream* stream;
    config::LogSettings settings;
    std::mutex mutex;

    void write(core::LogLevel level, std::string_view message, const DeliveryLogFields* fields) {
        if (level < settings.lowest) return;
        std::string line;
        if (settings.json) {
            nlohmann::ordered_json record = {{"time", core::format_rfc3339(core::now())},
                                     {"level", core::to_string(level)},
                                     {"message", message}};
            if (fields != nullptr) {
                record["listener"] = fields->listener;
                record["delivery_id"] = fields->delivery_id;
                record["event_type"] = fields->event_type;
                record["attempt"] = fields->attempt;
                if (!fields->error.empty()) record["error"] = fields->error;
                if (!fields->next_attempt.empty()) record["next_attempt"] = fields->next_attempt;
            }
            // ASCII only: every control character (C1, line separators and bidirectional
            // controls too) is a \u escape; bytes that are not UTF-8 become U+FFFD.
            line = record.dump(-1, ' ', true, nlohmann::ordered_json::error_handler_t::replace);
        } else {
            std::string text(message);
            if (fields != nullptr) {
                text += ": listener " + fields->listener + ", delivery " + fields->delivery_id + " (" +
                        fields->event_type + "), attempt " + std::to_string(fields->attempt);
                if (!fields->error.empty()) text += ": " + fields->error;
                if (!fields->next_attempt.empty()) text += "; next attempt at " + fields->next_attempt;
            }
            line = "notify: " + std::string(core::to_string(level)) + ": " + core::escape_controls(text);
        }
        std::lock_guard lock(mutex);
        *stream << line << std::endl;
    }
};

ServiceLog::ServiceLog(std::ostream& stream, config::LogSettings settings)
    : sink_(std::make_shared<Sink>()) {
    sink_->stream = &stream;
    sink_->settings = settings;
}

void ServiceLog::write(core::LogLevel level, std::string_view message, const DeliveryLogFields* fields) const {
    sink_->write(level, message, fields);
}

core::LogFunction ServiceLog::function() const {
    return [sink = sink_](core::LogLevel level, std::string_view message) { sink->write(level, message, nullptr); };
}

void ServiceLog::log_outcomes(core::NotifierOptions& options) const {
    auto fields_of = [](const core::DeliveryOutcome& o) {
        DeliveryLogFields f;
        f.listener = o.listener_id;
        f.delivery_id = o.delivery_id;
        f.event_type = o.event_type;
        f.attempt = o.attempts;
        f.error = o.error;
        if (o.next_attempt) f.next_attempt = core::format_rfc3339(*o.next_attempt);
        return f;
    };
    options.on_delivered = [sink = sink_, fields_of](const core::DeliveryOutcome& o) {
        if (sink->settings.lowest > core::LogLevel::debug) return;
        const auto f = fields_of(o);
        sink->write(core::LogLevel::debug, "delivered", &f);
    };
    options.on_retry = [sink = sink_, fields_of](const core::DeliveryOutcome& o) {
        const auto f = fields_of(o);
        sink->write(core::LogLevel::warning, "delivery failed, will retry", &f);
    };
    options.on_dead = [sink = sink_, fields_of](const core::DeliveryOutcome& o) {
        const auto f = fields_of(o);
        sink->write(core::LogLevel::error, "delivery given up (dead letter)", &f);
    };
}

}  // namespace notify::cli
