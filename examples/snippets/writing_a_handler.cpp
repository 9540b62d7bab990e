// A whole handler: kind "jsonl" appends each event, one JSON line, to the file a listener
// names (docs/writing-a-handler.md).
#include <fstream>
#include <mutex>

#include <notify/notify.hpp>

using namespace notify::core;

class JsonLinesHandler : public Handler {
public:
    // Called on worker threads, overlapping (also for one listener): the file is guarded.
    // Never throws: every outcome is a value.
    DeliveryResult deliver(const Delivery& d) noexcept override {
        try {
            const auto path = d.listener->settings.at("path").get<std::string>();
            const std::string line = message_body(*d.event, *d.listener).dump() + "\n";
            std::lock_guard lock(mutex_);
            std::ofstream out(path, std::ios::app);
            out << line << std::flush;
            if (!out) return DeliveryResult::retry("cannot append to " + path);  // a full disk may clear up
            return DeliveryResult::delivered();
        } catch (const std::exception& e) {
            return DeliveryResult::failed(e.what());  // a listener that cannot work: a dead letter
        }
    }

    // Nothing outlives a deliver() call here, so there is nothing to abandon.
    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}

private:
    std::mutex mutex_;
};

class JsonLinesFactory : public HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "jsonl"; }            // listener kind
    std::string_view config_section() const noexcept override { return "jsonl"; }  // server.conf section
    std::vector<std::string> formats() const override { return {"cloudevents", "data"}; }

    // Called before a listener is stored (by the CLI or a host): check every setting, fill
    // in defaults, name the secrets; throw notify::ValidationError naming the culprit.
    void validate(Listener& l, const nlohmann::json& /*section*/) const override {
        check_listener_format(kind(), l.format);
        const auto path = l.settings.find("path");
        if (path == l.settings.end() || !path->is_string() || path->get<std::string>().empty()) {
            throw notify::ValidationError("a jsonl listener needs a path, e.g. {\"path\": \"/var/log/notify.jsonl\"}");
        }
        l.secret_keys.clear();  // it holds none
    }

    // Called once per delivering process; throw notify::Error when the section cannot work.
    std::unique_ptr<Handler> create(const HandlerContext& /*context*/) const override {
        return std::make_unique<JsonLinesHandler>();
    }
};

// Next to the built-in ones; there is no static self-registration.
void add_jsonl(HandlerRegistry& registry) { registry.add(std::make_unique<JsonLinesFactory>()); }
