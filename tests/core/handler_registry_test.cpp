// The handler port and registry, with a fake handler kind.
#include <catch2/catch.hpp>

#include "notify/core/error.hpp"
#include "notify/core/handler_registry.hpp"

using namespace notify::core;
using Catch::Contains;

namespace {

class RecordingHandler : public Handler {
public:
    explicit RecordingHandler(std::string prefix) : prefix_(std::move(prefix)) {}
    DeliveryResult deliver(const Delivery& d) noexcept override {
        if (d.event->type() == "boom") return DeliveryResult::failed("rejected: boom");
        if (d.attempt < 2) return DeliveryResult::retry("busy", std::chrono::seconds(3));
        return DeliveryResult::delivered(prefix_ + d.listener->settings.at("target").get<std::string>());
    }
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}

private:
    std::string prefix_;
};

class FakeFactory : public HandlerFactory {
public:
    explicit FakeFactory(std::string kind = "fake") : kind_(std::move(kind)) {}
    std::string_view kind() const noexcept override { return kind_; }
    std::string_view config_section() const noexcept override { return "fake"; }
    std::vector<std::string> formats() const override { return {"cloudevents", "data"}; }
    void validate(Listener& listener, const nlohmann::json& section) const override {
        if (!listener.settings.contains("target")) throw notify::ValidationError("--target is required");
        if (listener.settings.contains("token")) listener.secret_keys = {"token"};
        if (!section.value("enabled", true)) throw notify::ValidationError("fake handler is disabled");
    }
    std::unique_ptr<Handler> create(const HandlerContext& context) const override {
        return std::make_unique<RecordingHandler>(context.section.value("prefix", ""));
    }

private:
    std::string kind_;
};

}  // namespace

TEST_CASE("factories are found by kind, and unknown kinds list the known ones", "[registry]") {
    HandlerRegistry registry;
    CHECK_THROWS_WITH(registry.get("amqp"), Contains("no handler for kind 'amqp' (known: none)"));
    registry.add(std::make_unique<FakeFactory>("fake"));
    registry.add(std::make_unique<FakeFactory>("another"));
    CHECK(registry.kinds() == std::vector<std::string>{"another", "fake"});
    CHECK(registry.get("fake").kind() == "fake");
    CHECK(registry.find("missing") == nullptr);
    CHECK_THROWS_WITH(registry.get("amqp"), Contains("known: another, fake"));
}

TEST_CASE("duplicate and malformed kinds are refused", "[registry]") {
    HandlerRegistry registry;
    registry.add(std::make_unique<FakeFactory>("fake"));
    CHECK_THROWS_WITH(registry.add(std::make_unique<FakeFactory>("fake")), Contains("already registered"));
    CHECK_THROWS_AS(registry.add(std::make_unique<FakeFactory>("Bad Kind")), notify::ValidationError);
    CHECK_THROWS_AS(registry.add(nullptr), notify::ValidationError);
    CHECK(registry.kinds() == std::vector<std::string>{"fake"});
}

TEST_CASE("a factory validates listeners and creates the handler from its section", "[registry]") {
    HandlerRegistry registry;
    registry.add(std::make_unique<FakeFactory>());
    const auto& factory = registry.get("fake");

    Listener l;
    l.kind = "fake";
    l.event_types.emplace_back("#");
    CHECK_THROWS_WITH(factory.validate(l, nlohmann::json::object()), Contains("--target"));
    l.settings = {{"target", "t1"}, {"token", "abc"}};
    CHECK_THROWS_WITH(factory.validate(l, {{"enabled", false}}), Contains("disabled"));
    factory.validate(l, nlohmann::json::object());
    CHECK(l.secret_keys == std::vector<std::string>{"token"});
    CHECK(l.masked_settings().at("token") == "********");

    auto handler = factory.create(HandlerContext{{{"prefix", "sent to "}}});
    Delivery d{"d-1", std::make_shared<const Event>("repo.sync.finish"), std::make_shared<const Listener>(l), 1, {}};
    auto first = handler->deliver(d);
    CHECK(first.outcome() == DeliveryResult::Outcome::retry);
    CHECK(first.retry_after() == std::chrono::milliseconds(3000));
    d.attempt = 2;
    auto second = handler->deliver(d);
    CHECK(second.outcome() == DeliveryResult::Outcome::delivered);
    CHECK(second.detail() == "sent to t1");
    d.event = std::make_shared<const Event>("boom");
    auto third = handler->deliver(d);
    CHECK(third.outcome() == DeliveryResult::Outcome::failed);
    CHECK(third.detail() == "rejected: boom");
    CHECK(to_string(third.outcome()) == "failed");
}
