// Who a process is, well enough to tell later whether it still runs (internal).
#pragma once

#include <cstdint>
#include <string>

namespace notify::core {

struct ProcessIdentity {
    std::string host;
    std::string boot_id;     // changes on every boot of the host
    std::int64_t pid = 0;
    std::int64_t started = 0;  // start time in clock ticks since boot: guards against pid reuse

    static ProcessIdentity self();
};

// False when `p` ran on this host and is gone: the host rebooted, or no process with that
// pid and start time exists. True when it lives, or ran on another host (unknowable here).
bool may_be_alive(const ProcessIdentity& p, const ProcessIdentity& self);

}  // namespace notify::core
