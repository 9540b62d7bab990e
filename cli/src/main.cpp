// The notify command-line tool. docs/cli.md.
#include <iostream>

#include "notify/cli/run.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return notify::cli::run(args, std::cout, std::cerr);
}
