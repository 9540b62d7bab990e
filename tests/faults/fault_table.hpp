// The figures of one fault case: events fired, distinct deliveries a real consumer saw, lost,
// duplicated, and the time from the fault's end until everything was confirmed. Each case
// appends its row to the table file the fixture prints at the end (faults_fixture.sh).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace notify::test {

struct FaultRow {
    std::string handler;  // amqp, email, http
    std::string fault;
    std::size_t fired = 0;
    std::size_t delivered = 0;   // distinct ids the consumer saw that were fired
    std::size_t lost = 0;        // fired, never seen
    std::size_t duplicates = 0;  // copies beyond the first
    std::size_t unexpected = 0;  // seen, never fired
    std::size_t allowed_duplicates = 0;  // the in-flight window at the faults the case caused
    double recovery_seconds = 0;
};

// Compares what was fired (delivery ids) with what the consumer received (one id per copy).
inline FaultRow tally(std::string handler, std::string fault, const std::vector<std::string>& fired,
                      const std::vector<std::string>& received, std::size_t allowed_duplicates,
                      std::chrono::steady_clock::duration recovery) {
    FaultRow row{std::move(handler), std::move(fault)};
    const std::set<std::string> fired_set(fired.begin(), fired.end());
    std::map<std::string, std::size_t> copies;
    for (const auto& id : received) ++copies[id];
    row.fired = fired_set.size();
    for (const auto& id : fired_set) {
        if (copies.count(id) == 0) ++row.lost;
    }
    for (const auto& [id, n] : copies) {
        if (fired_set.count(id) == 0) ++row.unexpected;
        else ++row.delivered;
        row.duplicates += n - 1;
    }
    row.allowed_duplicates = allowed_duplicates;
    row.recovery_seconds = std::chrono::duration<double>(recovery).count();
    return row;
}

// Appends the row to the table file (NOTIFY_FAULT_TABLE, tab-separated) and checks it:
// nothing lost, nothing unknown, duplicates within the window.
inline void record(const FaultRow& row) {
    {
        std::ofstream out(NOTIFY_FAULT_TABLE, std::ios::app);
        char recovery[32];
        std::snprintf(recovery, sizeof recovery, "%.1f", row.recovery_seconds);
        out << row.handler << '\t' << row.fault << '\t' << row.fired << '\t' << row.delivered << '\t' << row.lost << '\t'
            << row.duplicates << '\t' << row.allowed_duplicates << '\t' << recovery << '\n';
    }
    INFO(row.handler << ", " << row.fault << ": fired " << row.fired << ", delivered " << row.delivered << ", lost "
                     << row.lost << ", duplicates " << row.duplicates << " (window " << row.allowed_duplicates
                     << "), unexpected " << row.unexpected);
    CHECK(row.fired > 0);
    CHECK(row.lost == 0);
    CHECK(row.unexpected == 0);
    CHECK(row.delivered == row.fired);
    CHECK(row.duplicates <= row.allowed_duplicates);
}

}  // namespace notify::test
