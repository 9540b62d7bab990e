// StoreHeader: what a store holds, for notify store check (internal).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace notify::core {

// What a store holds, read without creating or changing anything (notify store check).
struct StoreHeader {
    bool exists = false;  // notify's tables are there
    int version = 0;      // their schema version
    std::vector<std::pair<std::string, std::string>> facts;  // for people: server, TLS, file mode...
    std::string problem;  // empty: usable by this build
};

}  // namespace notify::core
