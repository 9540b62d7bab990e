// Runs the notify CLI in-process with a server.conf of the test's own, capturing the exit
// code, stdout and stderr.
#pragma once

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "notify/cli/run.hpp"
#include "temp_dir.hpp"

namespace notify::test {

struct CliResult {
    int code;
    std::string out;
    std::string err;
};

// A store in a temporary folder; server.conf is [store] plus what the test writes. By
// default exchanges are not auto-created and email listeners are allowed (tls = none), so
// nothing needs a server.
class CliRunner {
public:
    TempDir dir;
    std::string conf = (dir / "server.conf").string();
    std::string store = (dir / "notify.db").string();

    CliRunner() { write_raw("[messaging]\nauto_create_exchange = false\n[email]\nenabled = true\ntls = none\n"); }

    // server.conf = [store] path + `text`.
    void write_raw(const std::string& text) const {
        write_private(conf, "[store]\npath = " + store + "\n" + text);
    }

    CliResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--config", conf});
        std::ostringstream out;
        std::ostringstream err;
        const int code = cli::run(args, out, err);
        return {code, out.str(), err.str()};
    }
};

// std::cin reads `text` while it lives (the CLI reads '-' values and --from - from it).
class StdinText {
public:
    explicit StdinText(const std::string& text) : in_(text), old_(std::cin.rdbuf(in_.rdbuf())) {}
    ~StdinText() {
        std::cin.rdbuf(old_);
        std::cin.clear();
    }
    StdinText(const StdinText&) = delete;
    StdinText& operator=(const StdinText&) = delete;

private:
    std::istringstream in_;
    std::streambuf* old_;
};

}  // namespace notify::test
