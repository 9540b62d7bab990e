// MessageTap: what `notify listen` receives from a broker, through the handler that
// publishes there.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace notify::core {

struct ReceivedMessage {
    std::string subject;  // the event type (or its format's subject)
    std::string message_id;
    std::string content_type;
    std::string body;
};

// Receives messages until destroyed; whatever it set up on the broker goes with it.
// next() is called from one thread at a time.
class MessageTap {
public:
    virtual ~MessageTap() = default;
    // The next message, or nullopt after `timeout` without one. Throws notify::Error when
    // the subscription broke and cannot go on.
    virtual std::optional<ReceivedMessage> next(std::chrono::milliseconds timeout) = 0;
    // Where it listens, for people: "exchange 'amq.topic'".
    virtual std::string source() const = 0;
};

}  // namespace notify::core
