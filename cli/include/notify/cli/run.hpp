// The notify command-line tool as a function, so tests can run it in-process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace notify::cli {

// Runs `notify` with `args` (without the program name), writing to `out` and `err`.
// Returns the exit code: 0 success, 1 runtime failure, 2 usage or validation error.
// Every error is one line on `err`. Not thread-safe (serve and listen handle signals).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace notify::cli
