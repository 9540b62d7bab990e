// The jq command (Debian's jq 1.6) as the oracle for notify's jq programs.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace notify::test {

// What `jq -c 'first(PROGRAM)'` prints for `input` (files in `dir`), without the final
// newline; "" when it prints nothing (no output, or an error).
inline std::string jq_first(const TempDir& dir, const std::string& program, const std::string& input) {
    const auto program_file = dir / "program.jq";
    const auto input_file = dir / "input.json";
    std::ofstream(program_file) << "first(" << program << ")";
    std::ofstream(input_file) << input;
    const std::string command = "jq -c --from-file '" + program_file.string() + "' '" + input_file.string() + "' 2>/dev/null";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    ::pclose(pipe);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace notify::test
