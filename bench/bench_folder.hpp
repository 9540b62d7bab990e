// A temporary folder for a bench's store, removed with its contents when the bench is done.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace notify::bench {

// In the current folder (the disk being measured, not a tmpfs): `prefix`-XXXXXX.
struct BenchFolder {
    std::filesystem::path path;
    explicit BenchFolder(const std::string& prefix) {
        std::string pattern = (std::filesystem::current_path() / (prefix + "-XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    ~BenchFolder() { std::filesystem::remove_all(path); }
    BenchFolder(const BenchFolder&) = delete;
    BenchFolder& operator=(const BenchFolder&) = delete;
};

}  // namespace notify::bench
