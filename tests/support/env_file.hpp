// The env file a test server script writes in its folder (scripts/broker, scripts/postgres):
// `export NAME=value` lines, read without a shell.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace notify::test {

struct EnvFile {
    std::string dir;                            // the server's folder, from `dir_variable`
    std::map<std::string, std::string> values;  // NAME -> value

    // Reads $`dir_variable`/env. Throws std::runtime_error naming what is missing: the
    // variable (the tests run outside ctest) or the file (the fixture did not start).
    static EnvFile read(const char* dir_variable, const std::string& server) {
        const char* dir = std::getenv(dir_variable);
        if (dir == nullptr) throw std::runtime_error(std::string(dir_variable) + " is not set: run these tests through ctest");
        std::ifstream in(std::string(dir) + "/env");
        if (!in) throw std::runtime_error("no " + server + " env in " + dir + ": the " + server + " fixture did not start");
        EnvFile out{dir, {}};
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("export ", 0) == 0) line.erase(0, 7);
            const auto eq = line.find('=');
            if (eq != std::string::npos) out.values[line.substr(0, eq)] = line.substr(eq + 1);
        }
        return out;
    }

    // The value of `name`; throws std::runtime_error when the file lacks it.
    const std::string& at(const std::string& name) const {
        const auto it = values.find(name);
        if (it == values.end()) throw std::runtime_error(dir + "/env lacks " + name);
        return it->second;
    }
};

}  // namespace notify::test
