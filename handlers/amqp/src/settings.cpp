// [messaging] -> AmqpSettings.
#include "settings.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "http_client.hpp"
#include "notify/config/settings.hpp"
#include "notify/core/error.hpp"
#include "notify/core/message_format.hpp"
#include "notify/core/text.hpp"

namespace notify::handlers::amqp {

namespace {
constexpr std::int64_t section_second = 1000;
}  // namespace

core::SectionSpec messaging_section() {
    return {"messaging", "The AMQP 1.0 broker the amqp handler publishes to.", {
        {"url", core::ValueType::url_list, "amqp://localhost:5672",
         "Broker URL; a comma-separated list is tried in order (failover).", false, 0, 0,
         {"amqp", "amqps"}},
        {"topic_exchange", core::ValueType::name, "amq.topic",
         "Topic exchange for listeners that name none.", false, 0, 0, {}},
        {"default_format", core::ValueType::choice, "cloudevents",
         "Format of new amqp listeners created without --format (pulp for a Pulp 2 migration).", false, 0, 0,
         core::all_message_formats()},
        {"cloudevents_mode", core::ValueType::choice, "binary",
         "How the cloudevents format is sent: binary (the data as an application/json body, the "
         "attributes as cloudEvents:* application properties) or structured (one "
         "application/cloudevents+json body).", false, 0, 0, {"binary", "structured"}},
        {"address_style", core::ValueType::choice, "auto",
         "AMQP 1.0 address form: v1 (/exchange/NAME, RabbitMQ 3.x), v2 (/exchanges/NAME, RabbitMQ 4.x), or "
         "auto (v2 for RabbitMQ 4 and later, told from the broker's open frame).", false, 0, 0, {"auto", "v1", "v2"}},
        {"auto_create_exchange", core::ValueType::boolean, "true",
         "Create the exchange as a topic exchange when the broker says it is missing.", false, 0, 0, {}},
        {"exchange_durable", core::ValueType::boolean, "true",
         "Create missing exchanges durable (they survive a broker restart); an existing exchange is used "
         "as it is.", false, 0, 0, {}},
        {"management_url", core::ValueType::url, "",
         "RabbitMQ management API used to create exchanges; empty = https://<broker host>:15671 "
         "with amqps://, else http://<broker host>:15672.",
         false, 0, 0, {"http", "https"}},
        {"username", core::ValueType::string, "", "Broker user (also for the management API); a user in the URL wins.",
         false, 0, 0, {}},
        {"password", core::ValueType::string, "", "Broker password.", true, 0, 0, {}},
        {"allow_insecure_auth", core::ValueType::boolean, "false",
         "Allow a password over plain amqp:// to hosts other than loopback.", false, 0, 0, {}},
        {"ca_file", core::ValueType::string, "", "CA certificates (PEM) to trust; empty = the system trust store.",
         false, 0, 0, {}},
        {"cert_file", core::ValueType::string, "", "Client certificate (PEM) for amqps://.", false, 0, 0, {}},
        {"key_file", core::ValueType::string, "", "Private key (PEM) of the client certificate.", false, 0, 0, {}},
        {"idle_timeout", core::ValueType::duration, "30s", "AMQP idle timeout: a silent connection is given up.",
         false, 1000, 3600 * section_second, {}},
        {"timeout", core::ValueType::duration, "30s",
         "How long one delivery waits for a connection and the broker's confirmation.", false, 1000, 600 * section_second, {}},
    }};
}

void check_exchange(const std::string& name) {
    const bool valid = !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
    });
    if (!valid) {
        throw ValidationError("invalid exchange " + core::quote_text(name) +
                              ": expected 1-255 letters, digits, '-', '_', '.' or ':'");
    }
    if (name.rfind("amq.", 0) != 0 || name == "amq.topic") return;
    const bool known = name == "amq.direct" || name == "amq.fanout" || name == "amq.headers" || name == "amq.match" ||
                       name.rfind("amq.rabbitmq.", 0) == 0;
    throw ValidationError("exchange " + core::quote_text(name) +
                          (known ? " is not a topic exchange, so events could not be routed by type"
                                 : ": names starting with 'amq.' are reserved by the broker and cannot be created") +
                          "; use amq.topic or a name of your own");
}

AmqpSettings AmqpSettings::from_section(const nlohmann::json& section) {
    AmqpSettings s;
    const auto text = [&](const char* key, const char* fallback = "") {
        return section.contains(key) ? section.at(key).get<std::string>() : std::string(fallback);
    };
    const auto ms = [&](const char* key, std::chrono::milliseconds fallback) {
        return section.contains(key) ? std::chrono::milliseconds(section.at(key).get<long long>()) : fallback;
    };
    std::vector<std::string> urls = section.contains("url") ? section.at("url").get<std::vector<std::string>>()
                                                            : std::vector<std::string>{"amqp://localhost:5672"};
    s.topic_exchange = text("topic_exchange", "amq.topic");
    try {
        check_exchange(s.topic_exchange);
    } catch (const ValidationError& e) {
        throw ConfigError(std::string("[messaging] topic_exchange: ") + e.what());
    }
    s.auto_create_exchange = section.value("auto_create_exchange", true);
    s.exchange_durable = section.value("exchange_durable", true);
    s.cloudevents_mode = section.value("cloudevents_mode", std::string("binary"));
    s.address_style = section.value("address_style", std::string("auto"));
    s.user = text("username");
    s.password = text("password");
    s.allow_insecure_auth = section.value("allow_insecure_auth", false);
    s.ca_file = text("ca_file");
    s.cert_file = text("cert_file");
    s.key_file = text("key_file");
    s.idle_timeout = ms("idle_timeout", s.idle_timeout);
    s.timeout = ms("timeout", s.timeout);

    std::string first_host;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        const auto p = curl::parse_url(urls[i]);
        const bool tls = p.scheme == "amqps";
        if (i == 0) {
            s.tls = tls;
            first_host = p.host;
            if (!p.user.empty()) {
                s.user = p.user;
                s.password = p.password;
            }
            if (p.path != "/") s.vhost = p.path.substr(1);
        } else if (tls != s.tls) {
            throw ConfigError("[messaging] url: all broker URLs must use the same scheme (amqp or amqps)");
        }
        const std::string host = p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host;
        s.urls.push_back(p.scheme + "://" + host + ":" + std::to_string(p.port != 0 ? p.port : (tls ? 5671 : 5672)));
        if (!tls && !s.password.empty() && !curl::is_loopback(p.host) && !s.allow_insecure_auth) {
            throw ConfigError("[messaging] would send a password in clear text to " + p.host +
                              "; use amqps:// or set allow_insecure_auth = true");
        }
    }
    for (const auto& [key, file] : {std::pair<const char*, const std::string*>{"ca_file", &s.ca_file},
                                    {"cert_file", &s.cert_file},
                                    {"key_file", &s.key_file}}) {
        if (!file->empty() && !std::filesystem::exists(*file)) {
            throw ConfigError(std::string("[messaging] ") + key + ": file '" + *file + "' does not exist");
        }
    }
    if (s.cert_file.empty() != s.key_file.empty()) {
        throw ConfigError("[messaging]: cert_file and key_file go together");
    }
    s.management_url = text("management_url");
    if (s.management_url.empty()) {
        // The management API listens on 15672 for http and, when a broker has TLS set up for
        // it, usually 15671 for https; a broker reached over amqps:// is never asked in clear.
        const std::string host = first_host.find(':') != std::string::npos ? "[" + first_host + "]" : first_host;
        s.management_url = s.tls ? "https://" + host + ":15671" : "http://" + host + ":15672";
    }
    while (!s.management_url.empty() && s.management_url.back() == '/') s.management_url.pop_back();
    const auto management = curl::parse_url(s.management_url);
    if (!management.user.empty() || !management.password.empty()) {
        throw ConfigError("[messaging] management_url must not hold credentials; it uses username and password");
    }
    if (management.scheme != "https" && !s.password.empty() && !curl::is_loopback(management.host) &&
        !s.allow_insecure_auth) {
        throw ConfigError("[messaging] would send the broker password in clear text to the management API at " +
                          s.management_url + "; use an https:// management_url or set allow_insecure_auth = true");
    }
    return s;
}

}  // namespace notify::handlers::amqp
