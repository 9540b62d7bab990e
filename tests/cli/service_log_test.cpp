// serve's log lines: [log] level filters, text and JSON lines keep a hostile server reply on
// one line and out of the terminal's control.
#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "service_log.hpp"

using namespace notify;
using notify::cli::DeliveryLogFields;
using notify::cli::ServiceLog;

namespace {

// An error as a broken or hostile server might send it: a line break, a terminal escape, a
// C1 control and a right-to-left override.
const std::string nasty = "bad\r\nnotify: error: forged\x1b[2J\xc2\x85tail\xe2\x80\xae";

DeliveryLogFields fields() {
    DeliveryLogFields f;
    f.listener = "abc12345";
    f.delivery_id = "01098ddb-315e-5e59-b548-f007e5ecedc5";
    f.event_type = "repo.sync.finish";
    f.attempt = 2;
    f.error = nasty;
    f.next_attempt = "2026-12-04T21:59:33.677850Z";
    return f;
}

}  // namespace

TEST_CASE("serve's JSON log: one object per line with the delivery's fields, controls escaped", "[cli][log]") {
    std::ostringstream out;
    const ServiceLog log(out, {core::LogLevel::info, true});
    const auto f = fields();
    log.write(core::LogLevel::warning, "delivery failed, will retry", &f);
    log.write(core::LogLevel::debug, "not shown below info", &f);
    log.function()(core::LogLevel::error, "from a handler: " + nasty);
    const std::string text = out.str();
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);
    for (const unsigned char c : text) {
        if (c != '\n') CHECK((c >= 0x20 && c < 0x7f));  // ASCII, no control byte
    }
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    const auto first = nlohmann::json::parse(line);
    CHECK(first.at("level") == "warning");
    CHECK(first.at("message") == "delivery failed, will retry");
    CHECK(first.at("listener") == "abc12345");
    CHECK(first.at("delivery_id") == f.delivery_id);
    CHECK(first.at("event_type") == "repo.sync.finish");
    CHECK(first.at("attempt") == 2);
    CHECK(first.at("error") == nasty);  // escaped on the line, exact once parsed
    CHECK(first.at("next_attempt") == f.next_attempt);
    CHECK(core::parse_rfc3339(first.at("time").get<std::string>()) <= core::now());
    std::getline(lines, line);
    const auto second = nlohmann::json::parse(line);
    CHECK(second.at("level") == "error");
    CHECK(second.at("message") == "from a handler: " + nasty);
    CHECK_FALSE(second.contains("listener"));
}

TEST_CASE("serve's text log: one line per message with the delivery's fields, controls escaped", "[cli][log]") {
    std::ostringstream out;
    const ServiceLog log(out, {core::LogLevel::warning, false});
    const auto f = fields();
    log.write(core::LogLevel::info, "not shown below warning", &f);
    log.write(core::LogLevel::warning, "delivery failed, will retry", &f);
    const std::string text = out.str();
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    CHECK(text.rfind("notify: warning: delivery failed, will retry: listener abc12345, delivery "
                     "01098ddb-315e-5e59-b548-f007e5ecedc5 (repo.sync.finish), attempt 2: bad\\x0d\\x0anotify: error: forged\\x1b[2J",
                     0) == 0);
    CHECK(text.find("; next attempt at 2026-12-04T21:59:33.677850Z\n") != std::string::npos);
}
