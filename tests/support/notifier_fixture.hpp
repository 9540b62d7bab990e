// A store in a temporary folder, the scripted "test" handler kind, and fast retry settings.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "notify/core/notifier.hpp"
#include "temp_dir.hpp"
#include "test_handler.hpp"

namespace notify::test {

struct NotifierFixture {
    TempDir dir;
    std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
    std::filesystem::path store = dir / "notify.db";

    core::NotifierOptions options(const std::string& record_file = "") const {
        core::NotifierOptions o;
        o.store.path = store;
        o.workers = 4;
        o.listener_concurrency = 2;
        o.retry.backoff_initial = std::chrono::milliseconds(10);
        o.retry.backoff_max = std::chrono::milliseconds(40);
        o.poll_interval = std::chrono::milliseconds(50);
        o.lease = std::chrono::seconds(2);
        auto registry = std::make_shared<core::HandlerRegistry>();
        registry->add(std::make_unique<ScriptedFactory>(recorder));
        o.handlers = registry;
        if (!record_file.empty()) o.handler_sections["test"] = {{"record_file", record_file}};
        return o;
    }

    static core::Listener listener(std::vector<std::string> patterns, nlohmann::json settings = nlohmann::json::object()) {
        core::Listener l;
        l.kind = "test";
        for (auto& p : patterns) l.event_types.emplace_back(p);
        l.settings = std::move(settings);
        return l;
    }
};

inline std::chrono::steady_clock::time_point in(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

// The attempts of `listener` that ended delivered.
inline std::size_t count_delivered(const std::vector<Attempt>& all, const std::string& listener) {
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const Attempt& a) {
        return a.listener_id == listener && a.outcome == "delivered";
    }));
}

// The stats of listener `id` (which must be among them).
inline core::ListenerStats stats_of(const std::vector<core::ListenerStats>& all, const std::string& id) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const core::ListenerStats& s) { return s.listener_id == id; });
    REQUIRE(it != all.end());
    return *it;
}

}  // namespace notify::test
