// Runs the built notify executable as a user would: arguments, environment, exit code,
// stdout and stderr; in the foreground or in the background, stopped by its PID.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

extern char** environ;

namespace notify::test {

class NotifyProcess {
public:
    // Starts notify with `args`; `env` adds "NAME=value" entries to this process's environment.
    NotifyProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
        std::vector<std::string> argv{NOTIFY_CLI};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> arg_ptrs;
        for (auto& a : argv) arg_ptrs.push_back(a.data());
        arg_ptrs.push_back(nullptr);
        std::vector<std::string> environment(env);
        for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
        std::vector<char*> env_ptrs;
        for (auto& e : environment) env_ptrs.push_back(e.data());
        env_ptrs.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        const std::string out = (dir_ / "out").string();
        const std::string err = (dir_ / "err").string();
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int rc = posix_spawn(&pid_, NOTIFY_CLI, &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + std::string(NOTIFY_CLI));
    }

    ~NotifyProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    NotifyProcess(const NotifyProcess&) = delete;
    NotifyProcess& operator=(const NotifyProcess&) = delete;

    // Its exit code, waiting up to `timeout`; -1 when it is still running then.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        if (pid_ <= 0) return code_;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return code_;
            }
            if (std::chrono::steady_clock::now() >= deadline) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void signal(int number) const {
        if (pid_ > 0) kill(pid_, number);
    }

    std::string out() const { return read("out"); }
    std::string err() const { return read("err"); }

private:
    std::string read(const char* name) const {
        std::ifstream in(dir_ / name);
        return {std::istreambuf_iterator<char>(in), {}};
    }

    TempDir dir_;
    pid_t pid_ = -1;
    int code_ = -1;
};

struct Ran {
    int code;
    std::string out;
    std::string err;
};

// Runs notify to completion (at most 60 s).
inline Ran run_notify(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    NotifyProcess p(args, env);
    const int code = p.wait();
    return {code, p.out(), p.err()};
}

}  // namespace notify::test
