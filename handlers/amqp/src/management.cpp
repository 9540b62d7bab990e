// Calls of the RabbitMQ management API, with errors a user can act on.
#include "management.hpp"

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "notify/config/settings.hpp"

namespace notify::handlers::amqp {

namespace {

std::string reason_of(const std::string& body) {
    try {
        const auto j = nlohmann::json::parse(body);
        if (j.contains("reason")) return j.at("reason").is_string() ? j.at("reason").get<std::string>() : j.at("reason").dump();
    } catch (const std::exception&) {
    }
    return body.substr(0, 200);
}

}  // namespace

std::optional<std::string> Management::call(const char* method, const std::string& path, const std::string& body,
                                            std::string_view what, bool missing_ok) const {
    curl::HttpRequest request;
    request.method = method;
    request.url = settings_.management_url + path;
    request.body = body;
    request.headers = {"Content-Type: application/json"};
    request.username = settings_.user;
    request.password = settings_.password;
    request.ca_file = settings_.ca_file;
    request.connect_timeout = std::min(settings_.timeout, std::chrono::milliseconds(10000));
    request.total_timeout = settings_.timeout;
    request.cancel = cancel_;
    const auto result = curl::perform(request);
    const std::string where = config::mask_url_password(settings_.management_url);
    if (!result.response) {
        throw ManagementError("cannot reach the RabbitMQ management API at " + where + " to " + std::string(what) +
                                  ": " + result.error,
                              false);
    }
    const long status = result.response->status;
    if (status >= 200 && status < 300) return result.response->body;
    if (status == 404 && missing_ok) return std::nullopt;
    const std::string reason = reason_of(result.response->body);
    if (status == 401) {
        throw ManagementError("the RabbitMQ management API at " + where + " refused the credentials (401) while trying to " +
                                  std::string(what) + "; check [messaging] username and password",
                              true);
    }
    if (status == 404) {
        throw ManagementError("cannot " + std::string(what) + ": vhost '" + settings_.vhost +
                                  "' not found on the broker (404: " + reason + ")",
                              true);
    }
    throw ManagementError("cannot " + std::string(what) + ": " + std::to_string(status) + " " + reason,
                          status >= 400 && status < 500);
}

std::string Management::exchange_path(std::string_view name) const {
    return "/api/exchanges/" + curl::escape_segment(settings_.vhost) + "/" + curl::escape_segment(name);
}

void Management::ensure_topic_exchange(std::string_view name) const {
    if (name.rfind("amq.", 0) == 0) return;
    const std::string quoted = "'" + std::string(name) + "'";
    // Look first: an existing topic exchange is used as it is, whatever its durability (a
    // PUT with other arguments would be refused as "inequivalent").
    if (const auto found = call("GET", exchange_path(name), "", "look up exchange " + quoted, true)) {
        std::string type;
        try {
            type = nlohmann::json::parse(*found).value("type", "");
        } catch (const std::exception&) {
        }
        if (type == "topic") return;
        throw ManagementError("exchange " + quoted + " is a " + (type.empty() ? "non-topic" : type) +
                                  " exchange, not a topic exchange: events could not be routed by type; "
                                  "name a topic exchange or delete this one",
                              true);
    }
    try {
        const nlohmann::json body = {{"type", "topic"}, {"durable", settings_.exchange_durable}, {"auto_delete", false}};
        (void)call("PUT", exchange_path(name), body.dump(), "create exchange " + quoted);
    } catch (const ManagementError& e) {
        const std::string message = e.what();
        if (message.find("inequivalent arg 'type'") != std::string::npos) {  // made meanwhile, as another type
            throw ManagementError("exchange " + quoted + " exists with another type than topic (" +
                                      message.substr(message.find("inequivalent")) +
                                      "); delete it or name another exchange",
                                  true);
        }
        throw;
    }
}

void Management::declare_queue(std::string_view name, std::chrono::milliseconds expires) const {
    const nlohmann::json body = {
        {"durable", false}, {"auto_delete", true}, {"arguments", {{"x-expires", expires.count()}}}};
    (void)call("PUT", "/api/queues/" + curl::escape_segment(settings_.vhost) + "/" + curl::escape_segment(name), body.dump(),
         "declare queue '" + std::string(name) + "'");
}

void Management::bind(std::string_view exchange, std::string_view queue, std::string_view routing_key) const {
    const nlohmann::json body = {{"routing_key", routing_key}};
    (void)call("POST",
         "/api/bindings/" + curl::escape_segment(settings_.vhost) + "/e/" + curl::escape_segment(exchange) + "/q/" +
             curl::escape_segment(queue),
         body.dump(), "bind queue '" + std::string(queue) + "' to exchange '" + std::string(exchange) + "'");
}

void Management::delete_queue(std::string_view name) const {
    (void)call("DELETE", "/api/queues/" + curl::escape_segment(settings_.vhost) + "/" + curl::escape_segment(name), "",
         "delete queue '" + std::string(name) + "'");
}

void Management::delete_exchange(std::string_view name) const {
    (void)call("DELETE", exchange_path(name), "", "delete exchange '" + std::string(name) + "'");
}

}  // namespace notify::handlers::amqp
