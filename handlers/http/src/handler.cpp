// The http (webhook) handler and its factory.
#include <chrono>

#include "http_client.hpp"
#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"
#include "notify/handlers/http/http.hpp"
#include "webhook.hpp"

namespace notify::handlers::http {

namespace {

using core::DeliveryResult;

std::string unix_seconds() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

// The headers notify sets on every request for `d`, before the signature and the
// listener's own headers.
std::vector<std::pair<std::string, std::string>> notify_headers(const core::Delivery& d,
                                                                const core::FormattedMessage& formatted) {
    return {{"Content-Type", formatted.content_type},
            {"X-Notify-Event-Type", d.event->type()},
            {"X-Notify-Delivery-Id", d.id}};
}

class HttpHandler : public core::Handler {
public:
    explicit HttpHandler(HttpSettings settings) : settings_(std::move(settings)) {}

    DeliveryResult deliver(const core::Delivery& d) noexcept override {
        try {
            // Checked at creation, and again here: the store file may have been edited.
            const auto webhook = Webhook::from_listener(*d.listener);
            const auto formatted = core::format_message(*d.event, *d.listener);
            curl::HttpRequest request;
            request.method = "POST";
            request.url = webhook.url;
            request.body = formatted.body;
            for (const auto& [name, value] : notify_headers(d, formatted)) request.headers.push_back(name + ": " + value);
            request.headers.push_back("Expect:");  // no 100-continue round trip
            if (!webhook.secret.empty()) {
                const std::string timestamp = unix_seconds();
                request.headers.push_back("X-Notify-Timestamp: " + timestamp);
                request.headers.push_back("X-Notify-Signature: " + signature(webhook.secret, timestamp, request.body));
            }
            for (const auto& [name, value] : webhook.headers) request.headers.push_back(name + ": " + value);
            request.username = webhook.username;
            request.password = webhook.password;
            request.connect_timeout = settings_.connect_timeout;
            request.total_timeout = settings_.timeout;
            request.ca_file = settings_.ca_file;
            request.max_redirects = settings_.max_redirects;
            request.cancel = &stopping_;
            return outcome(webhook, curl::perform(request));
        } catch (const ValidationError& e) {
            return DeliveryResult::failed(e.what());
        } catch (const std::exception& e) {
            return DeliveryResult::retry(std::string("http handler: ") + e.what());
        }
    }

    // Requests still waiting for their server end at once (retried later).
    void shutdown(std::chrono::steady_clock::time_point) noexcept override { stopping_.cancel(); }

private:
    static DeliveryResult outcome(const Webhook& webhook, const curl::HttpResult& result) {
        const std::string where = "POST " + core::quote_text(webhook.url, 200);
        if (!result.response) {
            const std::string what = where + ": " + result.error;
            return result.permanent ? DeliveryResult::failed(what) : DeliveryResult::retry(what);
        }
        const auto& r = *result.response;
        if (r.status >= 200 && r.status < 300) return DeliveryResult::delivered("HTTP " + std::to_string(r.status));
        std::string what = where + ": HTTP " + std::to_string(r.status);
        if (!r.body.empty()) what += ": " + core::quote_text(r.body, 200);
        if (r.status == 408 || r.status == 429 || (r.status >= 500 && r.status < 600)) {
            std::optional<std::chrono::milliseconds> after;
            if (r.retry_after) after = std::chrono::duration_cast<std::chrono::milliseconds>(*r.retry_after);
            return DeliveryResult::retry(what, after);
        }
        return DeliveryResult::failed(what);
    }

    const HttpSettings settings_;
    curl::Cancellation stopping_;
};

class HttpFactory : public core::HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "http"; }
    std::string_view config_section() const noexcept override { return "http"; }
    std::vector<std::string> formats() const override { return core::all_message_formats(); }

    core::SectionSpec section_spec() const override { return http_section(); }

    core::MessagePreview preview(const core::Delivery& d, const nlohmann::json&) const override {
        const auto webhook = Webhook::from_listener(*d.listener);
        const auto formatted = core::format_message(*d.event, *d.listener);
        core::MessagePreview p;
        p.fields = {{"POST", webhook.url}};
        for (auto& header : notify_headers(d, formatted)) p.fields.push_back(std::move(header));
        if (!webhook.secret.empty()) {
            p.fields.emplace_back("X-Notify-Timestamp", "(the time it is sent, in Unix seconds)");
            p.fields.emplace_back("X-Notify-Signature", "(HMAC-SHA256 of the timestamp and the body, with the secret)");
        }
        for (const auto& [name, value] : webhook.headers) p.fields.emplace_back(name, std::string(core::masked_secret));
        if (!webhook.username.empty()) {
            p.fields.emplace_back("Authorization", "Basic (user " + webhook.username + ", password " +
                                                       std::string(core::masked_secret) + ")");
        }
        p.body = formatted.body;
        return p;
    }

    std::vector<core::ListenerSetting> listener_settings() const override {
        using core::ListenerSetting;
        return {ListenerSetting("--url", "url", "http:// or https:// URL each event is POSTed to").mark_required(),
                ListenerSetting("--username", "username", "HTTP basic auth user"),
                ListenerSetting("--password", "password", "HTTP basic auth password ('-' reads it from standard input)")
                    .mark_secret()
                    .allow_stdin(),
                ListenerSetting("--secret", "secret", "Signs each request with HMAC-SHA256 ('-' reads it from standard input)")
                    .mark_secret()
                    .allow_stdin(),
                ListenerSetting("--header", "headers",
                                "Extra header 'Name: value' ('Name: -' reads the value from standard input); repeatable")
                    .with_shape(ListenerSetting::Shape::name_value)
                    .mark_secret()
                    .allow_stdin()};
    }

    void check_section(const nlohmann::json& section) const override { (void)HttpSettings::from_section(section); }

    void validate(core::Listener& listener, const nlohmann::json&) const override {
        core::check_listener_format(kind(), listener.format);
        validate_webhook_listener(listener);
    }

    std::unique_ptr<core::Handler> create(const core::HandlerContext& context) const override {
        return std::make_unique<HttpHandler>(HttpSettings::from_section(context.section));
    }
};

}  // namespace

std::unique_ptr<core::HandlerFactory> make_factory() { return std::make_unique<HttpFactory>(); }

void register_handler(core::HandlerRegistry& registry) { registry.add(make_factory()); }

}  // namespace notify::handlers::http
