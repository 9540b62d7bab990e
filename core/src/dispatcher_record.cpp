// The dispatcher's recorder: stores the outcomes of ended attempts in batches, then reports
// them to the outcome hooks and the metrics.
#include "dispatcher.hpp"

#include <algorithm>

namespace notify::core {

void Dispatcher::record_loop() {
    constexpr std::size_t batch_limit = record_batch_limit;
    while (true) {
        std::unique_lock lock(mutex_);
        recorder_wake_.wait(lock, [&] { return recorder_stopping_ || !outcomes_.empty(); });
        if (outcomes_.empty()) return;  // stopping, and everything is stored
        // Linger a moment so outcomes share commits, leaving the writer to fire().
        if (!recorder_stopping_ && outcomes_.size() < batch_limit) {
            recorder_wake_.wait_for(lock, std::chrono::milliseconds(1),
                                    [&] { return recorder_stopping_ || outcomes_.size() >= batch_limit; });
        }
        std::vector<EndedAttempt> batch;
        batch.swap(outcomes_);
        const std::uint64_t number = ++batches_started_;
        lock.unlock();
        struct Reported {  // whatever way this iteration ends
            std::atomic<std::uint64_t>& last;
            std::uint64_t number;
            ~Reported() { last = number; }
        } reported{batches_reported_, number};

        std::vector<Completion> completions;
        Outbox::AttemptCounts counts;
        completions.reserve(batch.size());
        for (const auto& o : batch) {
            completions.push_back(o.completion);
            if (o.completion.kind == Completion::Kind::delivered) ++counts[o.listener_id].first;
            if (o.completion.kind == Completion::Kind::retry) ++counts[o.listener_id].second;
        }
        // Never attempt a delivery again because recording failed: that would send a
        // duplicate. While this process runs, the outcomes wait for the store to come back
        // (a database restarting, a disk full for a while), tried again at growing pauses;
        // when stopping, five tries, then the rows stay ours and stop() parks them.
        bool stored = false;
        for (int tries = 0; !stored; ++tries) {
            try {
                outbox_.complete(completions, owner_, counts);
                stored = true;
            } catch (const std::exception& e) {
                log(LogLevel::error, "cannot record " + std::to_string(batch.size()) + " delivery outcomes: " + e.what());
                std::unique_lock pause_lock(mutex_);
                if (recorder_stopping_) {
                    if (tries >= 4) break;
                    pause_lock.unlock();
                    std::this_thread::sleep_for(std::chrono::milliseconds(100) * (tries + 1));
                } else {
                    const auto pause = std::chrono::milliseconds(100) * (1 << std::min(tries, 5));  // 0.1-3.2 s
                    recorder_wake_.wait_for(pause_lock, pause, [&] { return recorder_stopping_; });
                }
            }
        }
        if (!stored) continue;

        bool retries = false;
        lock.lock();
        for (const auto& o : batch) {
            if (o.completion.kind != Completion::Kind::retry) continue;
            retries = true;
            if (auto it = lanes_.find(o.listener_id); it != lanes_.end()) {
                it->second.next_parked = std::min(it->second.next_parked, o.completion.due_at);
            }
        }
        lock.unlock();
        if (retries) schedule_wake_.notify_one();
        report(batch);
    }
}

void Dispatcher::report(const std::vector<EndedAttempt>& batch) {
    const Micros now = now_micros();
    const auto steady_now = std::chrono::steady_clock::now();
    for (const auto& o : batch) {
        const OutcomeHook* hook = nullptr;
        DeliveryOutcome out;
        DeliveryMetrics::Ended counted = DeliveryMetrics::Ended::delivered;
        switch (o.completion.kind) {
            case Completion::Kind::delivered:
                hook = &options_.on_delivered;
                out.kind = DeliveryOutcome::Kind::delivered;
                break;
            case Completion::Kind::retry:
                hook = &options_.on_retry;
                out.kind = DeliveryOutcome::Kind::retry;
                out.next_attempt = Timestamp(std::chrono::microseconds(o.completion.due_at));
                counted = DeliveryMetrics::Ended::retried;
                break;
            case Completion::Kind::dead:
                hook = &options_.on_dead;
                out.kind = DeliveryOutcome::Kind::dead;
                counted = DeliveryMetrics::Ended::dead;
                break;
        }
        const auto since_fired = std::chrono::microseconds(std::max<Micros>(0, now - o.created_at));
        if (!o.kind.empty()) metrics_.ended(o.listener_id, o.kind, counted, since_fired, o.completion.error, steady_now);
        if (!*hook) continue;
        out.delivery_id = o.delivery_id;
        out.listener_id = o.listener_id;
        out.event_type = o.event_type;
        out.attempts = o.completion.attempts;
        out.error = o.completion.error;
        out.since_fired = since_fired;
        try {
            (*hook)(out);
        } catch (const std::exception& e) {
            log(LogLevel::error, std::string("an outcome hook threw (ignored): ") + e.what());
        } catch (...) {
            log(LogLevel::error, "an outcome hook threw (ignored)");
        }
    }
    if (recorded_) recorded_();
}

}  // namespace notify::core
