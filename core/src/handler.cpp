// DeliveryResult constructors and the handler registry.
#include <mutex>

#include "notify/core/error.hpp"
#include "notify/core/handler_registry.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

DeliveryResult DeliveryResult::delivered(std::string detail) {
    return DeliveryResult(Outcome::delivered, std::move(detail), std::nullopt);
}

DeliveryResult DeliveryResult::retry(std::string detail, std::optional<std::chrono::milliseconds> after) {
    return DeliveryResult(Outcome::retry, std::move(detail), after);
}

DeliveryResult DeliveryResult::failed(std::string detail) {
    return DeliveryResult(Outcome::failed, std::move(detail), std::nullopt);
}

std::string_view to_string(DeliveryResult::Outcome outcome) noexcept {
    switch (outcome) {
        case DeliveryResult::Outcome::delivered: return "delivered";
        case DeliveryResult::Outcome::retry: return "retry";
        case DeliveryResult::Outcome::failed: return "failed";
    }
    return "?";
}

void Handler::deliver_async(const Delivery& delivery, DeliveryCallback done) { done(deliver(delivery)); }

SectionSpec HandlerFactory::section_spec() const { return {std::string(config_section()), {}, {}}; }

void HandlerFactory::prepare(const Listener&, const Listener*, const nlohmann::json&, const LogFunction&) const {}

MessagePreview HandlerFactory::preview(const Delivery& delivery, const nlohmann::json&) const {
    auto message = format_message(*delivery.event, *delivery.listener);
    return {{{"subject", message.subject}, {"content-type", message.content_type}}, std::move(message.body)};
}

std::unique_ptr<MessageTap> HandlerFactory::subscribe(const nlohmann::json&, const nlohmann::json&,
                                                        const std::string&) const {
    throw ValidationError("the " + std::string(kind()) + " handler cannot be listened to");
}

void HandlerRegistry::add(std::unique_ptr<HandlerFactory> factory) {
    if (!factory) throw ValidationError("cannot register an empty handler factory");
    const std::string kind(factory->kind());
    validate_handler_kind(kind);
    std::unique_lock lock(mutex_);
    if (!factories_.emplace(kind, std::move(factory)).second) {
        throw ValidationError("a handler for kind " + quote_text(kind) + " is already registered");
    }
}

const HandlerFactory* HandlerRegistry::find(std::string_view kind) const noexcept {
    std::shared_lock lock(mutex_);
    const auto it = factories_.find(kind);
    return it == factories_.end() ? nullptr : it->second.get();
}

const HandlerFactory& HandlerRegistry::get(std::string_view kind) const {
    if (const auto* factory = find(kind)) return *factory;
    std::string known;
    for (const auto& k : kinds()) known += (known.empty() ? "" : ", ") + k;
    throw NotFound("no handler for kind " + quote_text(kind) + " (known: " +
                   (known.empty() ? std::string("none") : known) + ")");
}

std::vector<std::string> HandlerRegistry::kinds() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : factories_) out.push_back(entry.first);
    return out;
}

}  // namespace notify::core
