// Resident memory of this process, for the benches' memory tables.
#pragma once

#include <fstream>
#include <string>

namespace notify::bench {

// VmRSS from /proc/self/status in KiB, or -1 when it cannot be read.
inline long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            long kib = 0;
            in >> kib;
            return kib;
        }
        in.ignore(1 << 20, '\n');
    }
    return -1;
}

}  // namespace notify::bench
