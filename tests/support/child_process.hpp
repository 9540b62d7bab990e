// A helper process a test starts (a real SMTP or HTTP server), stopped by its PID.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace notify::test {

class ChildProcess {
public:
    // Starts argv[0] with `argv`; its stdout is readable through read_line().
    explicit ChildProcess(const std::vector<std::string>& argv) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        out_ = fds[0];
        if (rc != 0) {
            close(out_);
            throw std::runtime_error("cannot start " + argv[0]);
        }
    }

    ~ChildProcess() { stop(); }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next line of its stdout, or throws after `timeout` or when it ends.
    std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string line;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p{out_, POLLIN, 0};
            if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                throw std::runtime_error("no line from the helper process in time");
            }
            char c;
            if (read(out_, &c, 1) != 1) throw std::runtime_error("the helper process ended early");
            if (c == '\n') return line;
            line += c;
        }
    }

    pid_t pid() const noexcept { return pid_; }

    // SIGTERM, then SIGKILL after 5 s; idempotent.
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 500; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
            if (i == 499) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
        close(out_);
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
};

// A test server script that prints "PORT <n>" once it listens on 127.0.0.1.
class TestServer {
public:
    explicit TestServer(std::vector<std::string> argv) : process_(with_python(std::move(argv))) {
        const std::string line = process_.read_line();
        if (line.rfind("PORT ", 0) != 0) throw std::runtime_error("unexpected first line from the server: " + line);
        port_ = std::stoi(line.substr(5));
    }

    int port() const noexcept { return port_; }

private:
    // Debian's python3, where aiosmtpd lives (not whatever python3 comes first on PATH).
    static std::vector<std::string> with_python(std::vector<std::string> argv) {
        argv.insert(argv.begin(), "/usr/bin/python3");
        return argv;
    }

    ChildProcess process_;
    int port_ = 0;
};

}  // namespace notify::test
