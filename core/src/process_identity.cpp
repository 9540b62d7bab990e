// Process identity from /proc, for telling dead outbox owners from live ones.
#include "process_identity.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace notify::core {

namespace {

std::string read_first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces).
std::int64_t start_time(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat{std::istreambuf_iterator<char>(in), {}};
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 22) return std::stoll(field);
    }
    return -1;
}

}  // namespace

ProcessIdentity ProcessIdentity::self() {
    ProcessIdentity p;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    p.host = host;
    p.boot_id = read_first_line("/proc/sys/kernel/random/boot_id");
    p.pid = getpid();
    p.started = start_time(p.pid);
    return p;
}

bool may_be_alive(const ProcessIdentity& p, const ProcessIdentity& self) {
    if (p.host != self.host) return true;
    if (p.boot_id != self.boot_id) return false;
    return start_time(p.pid) == p.started;
}

}  // namespace notify::core
