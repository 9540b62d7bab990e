// The test broker started by the ctest fixture (scripts/broker): its URLs and helpers to
// inspect it through the management API and to run pika clients against it.
#pragma once

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "env_file.hpp"
#include "http_client.hpp"
#include "plugin_schema.hpp"
#include "notify/config/loader.hpp"

namespace notify::test {

struct Broker {
    std::string amqp_url;        // amqp://127.0.0.1:PORT (no credentials)
    std::string management_url;  // http://127.0.0.1:PORT
    std::string dir;             // the broker's state folder (for scripts/broker stop/restart)
    std::string amqps_url;       // amqps://localhost:PORT: its certificate names localhost only
    std::string ca_file;         // the CA that signed that certificate

    static const Broker& get() {
        static const Broker broker = load();
        return broker;
    }

    std::string amqp_port() const { return amqp_url.substr(amqp_url.rfind(':') + 1); }

    // The [messaging] section as the handler receives it; `extra` adds lines to it.
    nlohmann::json messaging(const std::string& extra = "", const std::string& credentials = "guest:guest",
                             const std::string& vhost_path = "") const {
        const std::string conf = "[messaging]\nurl = amqp://" + credentials + "@" + amqp_url.substr(7) + vhost_path +
                                 "\nmanagement_url = " + management_url + "\ntimeout = 10s\n" + extra;
        return config::parse(conf, "test.conf", config::Environment{}, test::plugin_schema()).section("messaging").to_json();
    }

    // GET on the management API; the parsed body, or null for 404.
    nlohmann::json api(const std::string& path) const {
        handlers::curl::HttpRequest r;
        r.url = management_url + path;
        r.username = "guest";
        r.password = "guest";
        const auto result = handlers::curl::perform(r);
        if (!result.response) throw std::runtime_error("management API: " + result.error);
        if (result.response->status == 404) return nullptr;
        return nlohmann::json::parse(result.response->body);
    }

    long api_call(const std::string& method, const std::string& path, const std::string& body = "") const {
        handlers::curl::HttpRequest r;
        r.method = method;
        r.url = management_url + path;
        r.body = body;
        r.headers = {"Content-Type: application/json"};
        r.username = "guest";
        r.password = "guest";
        const auto result = handlers::curl::perform(r);
        return result.response ? result.response->status : -1;
    }

    // Runs scripts/broker VERB on this broker (stop, restart, kill).
    void control(const std::string& verb) const {
        const std::string command = std::string(NOTIFY_SOURCE_DIR) + "/scripts/broker " + verb + " " + dir;
        if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    }

private:
    static Broker load() {
        const auto env = EnvFile::read("NOTIFY_TEST_BROKER_DIR", "broker");
        return {env.at("NOTIFY_TEST_AMQP_URL"), env.at("NOTIFY_TEST_MANAGEMENT_URL"), env.at("NOTIFY_TEST_BROKER"),
                env.at("NOTIFY_TEST_AMQPS_URL"), env.at("NOTIFY_TEST_BROKER_CA")};
    }
};

}  // namespace notify::test
