// Test certificates made at run time by tests/support/make_certs.sh (openssl), once per
// test process: ca.pem, server.pem/.key (localhost, 127.0.0.1), other-ca.pem,
// wrong-host.pem/.key (signed by ca.pem for another name).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "temp_dir.hpp"

namespace notify::test {

inline std::string cert(const std::string& name) {
    static TempDir dir;
    static const bool made = [] {
        const std::string command = std::string(NOTIFY_SOURCE_DIR) + "/tests/support/make_certs.sh " + dir.path().string();
        if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot make test certificates: " + command);
        return true;
    }();
    (void)made;
    return (dir / name).string();
}

}  // namespace notify::test
