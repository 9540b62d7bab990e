#include "listener_filter.hpp"

#include <algorithm>

#include "jq_program.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

std::string ListenerFilter::apply(const Event& event, std::vector<std::shared_ptr<const Listener>>& listeners) {
    const bool any = std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return !l->filter.empty(); });
    if (!any) return {};
    std::string json = to_json(event).dump();
    const jq::Input input(json);
    std::erase_if(listeners, [&](const std::shared_ptr<const Listener>& l) {
        if (l->filter.empty()) return false;
        const auto outcome = input.test(l->filter);
        if (!outcome.error.empty()) failed(*l, outcome.error);
        return !outcome.passed;
    });
    return json;
}

void ListenerFilter::failed(const Listener& listener, const std::string& error) {
    metrics_.filter_failed(listener.id);
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = logged_.try_emplace(listener.id, now);
        if (!fresh) {
            if (now - it->second < std::chrono::minutes(1)) return;
            it->second = now;
        }
    }
    if (log_) {
        log_(LogLevel::warning, "listener " + listener.id + ": its filter failed on an event, which it did not get "
                                "(logged once a minute; notify_filter_errors_total counts them all): " +
                                    escape_controls(error));
    }
}

}  // namespace notify::core
