// The log of notify serve, as [log] level and format ask: one line per message on stderr,
// text ("notify: warning: ...") or JSON (one object per line). Control characters a server
// sent are escaped in both. Thread-safe: lines from any thread never interleave.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "notify/config/settings.hpp"
#include "notify/core/log.hpp"
#include "notify/core/notifier.hpp"

namespace notify::cli {

// What a line about one delivery carries besides its message (JSON: one field each).
struct DeliveryLogFields {
    std::string listener;
    std::string delivery_id;
    std::string event_type;
    int attempt = 0;
    std::string error;
    std::string next_attempt;  // RFC 3339, for a retry
};

class ServiceLog {
public:
    ServiceLog(std::ostream& stream, config::LogSettings settings);

    void write(core::LogLevel level, std::string_view message, const DeliveryLogFields* fields = nullptr) const;
    // For core and the handlers, which log messages without fields.
    core::LogFunction function() const;
    // Logs each outcome serve's deliveries come to: a retry as a warning, a dead letter as
    // an error, a delivery at debug.
    void log_outcomes(core::NotifierOptions& options) const;

private:
    struct Sink;
    std::shared_ptr<Sink> sink_;
};

}  // namespace notify::cli
