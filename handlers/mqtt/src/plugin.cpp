// The mqtt plugin: its factory (settings, checks) and the plugin entry point.
#include "client.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/plugin.hpp"
#include "settings.hpp"

namespace notify::handlers::mqtt {

namespace {

class MqttFactory : public core::HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "mqtt"; }
    std::string_view config_section() const noexcept override { return "mqtt"; }
    std::vector<std::string> formats() const override { return core::all_message_formats(); }
    core::SectionSpec section_spec() const override { return mqtt_section(); }

    // As MqttHandler::publish() and send() build it (MQTT 5 properties when the broker
    // speaks MQTT 5).
    core::MessagePreview preview(const core::Delivery& d, const nlohmann::json& section) const override {
        const auto settings = MqttSettings::from_section(section);
        auto message = core::format_message(*d.event, *d.listener);
        const std::string prefix = d.listener->settings.value("topic_prefix", settings.topic_prefix);
        core::MessagePreview p;
        p.fields = {{"broker", std::string(settings.tls ? "mqtts://" : "mqtt://") + settings.host + ":" +
                                   std::to_string(settings.port)},
                    {"topic", topic_for(prefix, d.event->type())},
                    {"qos", std::to_string(d.listener->settings.value("qos", 1))},
                    {"retain", "false"},
                    {"content type (MQTT 5)", message.content_type},
                    {"user property event-type (MQTT 5)", d.event->type()},
                    {"user property event-id (MQTT 5)", d.event->id()},
                    {"user property content-type (MQTT 5)", message.content_type}};
        p.body = std::move(message.body);
        return p;
    }

    std::vector<core::ListenerSetting> listener_settings() const override {
        return {core::ListenerSetting("--topic-prefix", "topic_prefix",
                                      "Topic prefix (default: [mqtt] topic_prefix): <prefix>/<event type with '.' as '/'>")
                    .with_default_from("topic_prefix"),
                core::ListenerSetting("--qos", "qos", "MQTT quality of service: 0, 1 (default) or 2")
                    .with_choices({"0", "1", "2"})};
    }

    void check_section(const nlohmann::json& section) const override { (void)MqttSettings::from_section(section); }

    void validate(core::Listener& listener, const nlohmann::json& section) const override {
        (void)MqttSettings::from_section(section);  // refused while [mqtt] cannot work
        core::check_listener_format(kind(), listener.format);
        validate_listener_settings(listener);
    }

    std::unique_ptr<core::Handler> create(const core::HandlerContext& context) const override {
        return make_handler(MqttSettings::from_section(context.section), context.log);
    }
};

void add_factories(core::PluginFactories& factories) { factories.push_back(std::make_unique<MqttFactory>()); }

}  // namespace

}  // namespace notify::handlers::mqtt

NOTIFY_PLUGIN(mqtt, NOTIFY_VERSION_STRING, notify::handlers::mqtt::add_factories)
