// Runs tests/amqp/pika_consumer.py (Debian's python3-pika) as a separate process.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace notify::test {

class PikaConsumer {
public:
    // Starts the consumer (`script`, in tests/amqp) and waits until it printed "ready" (its
    // queue is bound).
    explicit PikaConsumer(const std::vector<std::string>& args, const std::string& script = "pika_consumer.py") {
        std::vector<std::string> all{"/usr/bin/python3", std::string(NOTIFY_SOURCE_DIR) + "/tests/amqp/" + script};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();  // only async-signal-safe calls until exec: argv was built above
        if (pid_ == 0) {
            dup2(out[1], 1);
            close(out[0]);
            close(out[1]);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(out[1]);
        stream_ = fdopen(out[0], "r");
        if (read_line() != "ready") throw std::runtime_error("pika consumer did not start");
    }

    ~PikaConsumer() {
        if (stream_ != nullptr) fclose(stream_);
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
    }

    // Every message it prints until it stops (count reached or idle timeout).
    std::vector<nlohmann::json> messages() {
        std::vector<nlohmann::json> out;
        for (std::string line = read_line(); !line.empty(); line = read_line()) out.push_back(nlohmann::json::parse(line));
        return out;
    }

private:
    std::string read_line() {
        std::string line;
        for (int c = fgetc(stream_); c != EOF && c != '\n'; c = fgetc(stream_)) line += static_cast<char>(c);
        return line;
    }

    pid_t pid_ = -1;
    FILE* stream_ = nullptr;
};

}  // namespace notify::test
