// jq programs for listener filters (libjq, internal).
//
// A jq state is not thread-safe: each thread compiles a program once into a state of its
// own and keeps it (at most max_programs_per_thread per thread; past that the thread's
// states are dropped and compiled again as needed), so no state is ever shared.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace notify::core::jq {

inline constexpr std::size_t max_programs_per_thread = 64;

// Compiles `program` to check it. Throws notify::ValidationError "`what`: jq: error: ...
// at <top-level>, line N: ..." (jq's own messages on one line) when it does not compile.
void check(std::string_view what, const std::string& program);

// An input parsed once (the event's JSON form), for any number of programs on this thread.
// Not thread-safe: one thread uses it.
class Input {
public:
    // Throws notify::ValidationError when `json` is not JSON.
    explicit Input(const std::string& json);
    ~Input();
    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;

    struct Outcome {
        bool passed = false;  // the program's first output is `true`
        std::string error;    // set when the program failed on this input (jq's message)
    };
    // Runs `program` (which check() accepted) on this input. An output other than `true`,
    // or none, does not pass. Never throws beyond std::bad_alloc.
    Outcome test(const std::string& program) const;

private:
    struct Value;
    std::unique_ptr<Value> value_;
};

}  // namespace notify::core::jq
