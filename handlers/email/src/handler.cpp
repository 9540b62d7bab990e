// The email handler and its factory.
#include <algorithm>
#include <set>

#include "address.hpp"
#include "digest_text.hpp"
#include "mail_message.hpp"
#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"
#include "notify/handlers/email/email.hpp"
#include "settings.hpp"
#include "smtp_client.hpp"
#include "subject_template.hpp"

namespace notify::handlers::email {

namespace {

using core::DeliveryResult;

constexpr std::size_t max_addresses = 100;

std::vector<std::string> addresses_of(const core::Listener& listener) {
    std::vector<std::string> out;
    for (const auto& a : listener.settings.at("addresses")) out.push_back(a.get<std::string>());
    return out;
}

std::string body_text(const core::Delivery& d) {
    const auto& e = *d.event;
    std::string text = "Event " + e.type() + " happened at " + core::format_rfc3339(e.time()) + ".\n\n";
    text += "Event type:  " + e.type() + "\n";
    text += "Time:        " + core::format_rfc3339(e.time()) + "\n";
    if (e.effective()) text += "Effective:   " + core::format_rfc3339(*e.effective()) + "\n";
    text += "Source:      " + e.source() + "\n";
    text += "Event id:    " + e.id() + "\n";
    text += "Listener:    " + d.listener->id + "\n";
    text += d.listener->transform.empty() ? "\nThe event (" + d.listener->format + " format):\n\n"
                                          : std::string("\nThe event (as the listener's transform gives it):\n\n");
    text += core::message_body(e, *d.listener).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    text += "\n";
    return text;
}

// The mail for `d` (its Date left to the sender). Throws notify::ValidationError when the
// stored listener is unusable or its transform fails on the event.
MailContent mail_for(const core::Delivery& d, const EmailSettings& settings) {
    // Checked at creation, and again here: the store file may have been edited.
    const auto to = addresses_of(*d.listener);
    for (const auto& a : to) check_address(a, "recipient");
    const SubjectTemplate subject(d.listener->settings.at("subject").get<std::string>());
    const std::string domain = settings.from.substr(settings.from.rfind('@') + 1);
    MailContent mail;
    mail.from = settings.from;
    mail.to = to;
    if (d.digest.empty()) {
        mail.subject = subject.render(*d.event);
        mail.message_id = "<" + d.id + "@" + domain + ">";
        mail.extra_headers = {{"X-Notify-Event-Type", d.event->type()}, {"X-Notify-Delivery-Id", d.id}};
        mail.body = body_text(d);
    } else {
        // The first delivery's id names the digest: a digest sent again (after a crash, or a
        // retry) has the same Message-ID.
        mail.subject = digest_subject(d);
        mail.message_id = "<digest-" + d.id + "@" + domain + ">";
        mail.extra_headers = {{"X-Notify-Digest-Events", std::to_string(d.digest.size())}, {"X-Notify-Delivery-Id", d.id}};
        mail.body = digest_body(d);
    }
    return mail;
}

class EmailHandler : public core::Handler {
public:
    EmailHandler(EmailSettings settings, core::LogFunction log) : settings_(std::move(settings)), log_(std::move(log)) {}

    DeliveryResult deliver(const core::Delivery& d) noexcept override {
        try {
            auto mail = mail_for(d, settings_);
            mail.date = core::now();
            const auto& to = mail.to;

            curl::SmtpRequest request;
            request.url = settings_.url();
            request.require_tls = settings_.tls != "none";
            request.username = settings_.username;
            request.password = settings_.password;
            request.from = settings_.from;
            request.recipients = to;
            request.message = compose(mail);
            request.ca_file = settings_.ca_file;
            request.connect_timeout = settings_.connect_timeout;
            request.total_timeout = settings_.timeout;
            request.cancel = &stopping_;  // ends even the wait for the reply to the message
            return outcome(d, curl::send_mail(request));
        } catch (const ValidationError& e) {
            return DeliveryResult::failed(e.what());
        } catch (const std::exception& e) {
            return DeliveryResult::retry(std::string("email handler: ") + e.what());
        }
    }

    // Mails still waiting for their server end at once (retried later).
    void shutdown(std::chrono::steady_clock::time_point) noexcept override { stopping_.cancel(); }

private:
    DeliveryResult outcome(const core::Delivery& d, const curl::SmtpResult& result) const {
        std::string refused;
        for (const auto& r : result.refused) {
            refused += (refused.empty() ? "" : "; ") + r.recipient + ": " + r.reply;
        }
        if (result.sent) {
            if (refused.empty()) return DeliveryResult::delivered();
            const std::string detail = "delivered to the other recipients; refused " + refused;
            if (log_) log_(core::LogLevel::warning, "listener " + d.listener->id + ", delivery " + d.id + ": " + detail);
            return DeliveryResult::delivered(detail);
        }
        const std::string what = "SMTP " + settings_.host + ":" + std::to_string(settings_.port) + ": " + result.error +
                                 (refused.empty() ? std::string() : "; refused " + refused);
        // 5xx is permanent, except a refused login (535), which an admin fixes in [email].
        if (result.code >= 500 && result.code < 600 && result.code != 535) return DeliveryResult::failed(what);
        return DeliveryResult::retry(what);
    }

    const EmailSettings settings_;
    curl::Cancellation stopping_;
    const core::LogFunction log_;
};

class EmailFactory : public core::HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "email"; }
    std::string_view config_section() const noexcept override { return "email"; }
    std::vector<std::string> formats() const override { return core::all_message_formats(); }

    core::SectionSpec section_spec() const override { return email_section(); }
    bool takes_digests() const noexcept override { return true; }

    core::MessagePreview preview(const core::Delivery& d, const nlohmann::json& section) const override {
        const auto settings = EmailSettings::from_section(section);
        const auto mail = mail_for(d, settings);
        std::string to;
        for (const auto& a : mail.to) to += (to.empty() ? "" : ", ") + a;
        core::MessagePreview p;
        p.fields = {{"SMTP server", settings.host + ":" + std::to_string(settings.port)},
                    {"From", mail.from},
                    {"To", to},
                    {"Subject", mail.subject},
                    {"Date", "(when it is sent)"},
                    {"Message-ID", mail.message_id}};
        p.fields.insert(p.fields.end(), mail.extra_headers.begin(), mail.extra_headers.end());
        p.fields.emplace_back("Content-Type", "text/plain; charset=utf-8");
        p.body = mail.body;
        return p;
    }

    std::vector<core::ListenerSetting> listener_settings() const override {
        return {core::ListenerSetting("--subject", "subject",
                                      "Subject template: {type} {id} {time} {source} {effective} {data.NAME}")
                    .mark_required(),
                core::ListenerSetting("--addresses", "addresses",
                                      "Recipients, comma-separated: a@example.com,b@example.com")
                    .mark_required()};
    }

    void check_section(const nlohmann::json& section) const override { (void)EmailSettings::from_section(section); }

    void validate(core::Listener& listener, const nlohmann::json& section) const override {
        const auto settings = EmailSettings::from_section(section);
        if (!settings.enabled) {
            throw ValidationError("email listeners are disabled: set enabled = true in the [email] section of "
                                  "server.conf (or NOTIFY_EMAIL__ENABLED=true)");
        }
        core::check_listener_format(kind(), listener.format);
        for (const auto& [key, value] : listener.settings.items()) {
            if (key != "subject" && key != "addresses") {
                throw ValidationError("unknown setting " + core::quote_text(key) +
                                      " for an email listener (known: subject, addresses)");
            }
        }
        const auto subject = listener.settings.find("subject");
        if (subject == listener.settings.end() || !subject->is_string() || subject->get<std::string>().empty()) {
            throw ValidationError("an email listener needs a subject (a text that may use {type}, {time}, {data.NAME}, ...)");
        }
        (void)SubjectTemplate(subject->get<std::string>());
        listener.settings["addresses"] = normalised_addresses(listener.settings.value("addresses", nlohmann::json()));
        listener.secret_keys.clear();
    }

    std::unique_ptr<core::Handler> create(const core::HandlerContext& context) const override {
        return std::make_unique<EmailHandler>(EmailSettings::from_section(context.section), context.log);
    }

private:
    // A list or a comma-separated text; each checked, duplicates dropped, order kept.
    static nlohmann::json normalised_addresses(const nlohmann::json& value) {
        std::vector<std::string> items;
        const auto split = [&](const std::string& text) {
            std::size_t start = 0;
            while (start <= text.size()) {
                const auto comma = text.find(',', start);
                std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                item.erase(0, item.find_first_not_of(' '));
                item.erase(item.find_last_not_of(' ') + 1);
                items.push_back(item);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        };
        if (value.is_string()) {
            split(value.get<std::string>());
        } else if (value.is_array()) {
            for (const auto& v : value) {
                if (!v.is_string()) throw ValidationError("addresses must be strings, not " + core::quote_text(v.dump()));
                items.push_back(v.get<std::string>());
            }
        } else {
            throw ValidationError("an email listener needs addresses (one or more, e.g. team@example.com)");
        }
        nlohmann::json out = nlohmann::json::array();
        std::set<std::string> seen;
        for (const auto& a : items) {
            check_address(a, "recipient");
            std::string lower = a;
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
            if (seen.insert(lower).second) out.push_back(a);
        }
        if (out.empty()) throw ValidationError("an email listener needs addresses (one or more, e.g. team@example.com)");
        if (out.size() > max_addresses) {
            throw ValidationError("an email listener takes at most " + std::to_string(max_addresses) + " addresses");
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<core::HandlerFactory> make_factory() { return std::make_unique<EmailFactory>(); }

void register_handler(core::HandlerRegistry& registry) { registry.add(make_factory()); }

}  // namespace notify::handlers::email
