// jq programs for listener filters and transforms (libjq, internal).
//
// A jq state is not thread-safe: each thread compiles a program once into a state of its
// own and keeps it (at most max_programs_per_thread per thread; past that the thread's
// states are dropped and compiled again as needed), so no state is ever shared.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct jq_state;  // libjq's

namespace notify::core::jq {

inline constexpr std::size_t max_programs_per_thread = 64;

// This thread keeps at most `n` compiled programs from now on (max_programs_per_thread
// unless changed; for tests, which would otherwise compile hundreds of programs).
void keep_programs_on_this_thread(std::size_t n);
// Programs this thread compiled to run them, so far.
std::size_t compiles_on_this_thread() noexcept;

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

    struct Output {
        std::string json;   // the program's first output as JSON text; empty when error is set
        std::string error;  // jq's message, or that the program gave no output
    };
    // Runs `program` (which check() accepted) on this input for its first output. Never
    // throws beyond std::bad_alloc.
    Output first(const std::string& program) const;

private:
    struct Value;
    std::unique_ptr<Value> value_;
    // The program's state, started on this input; null with `error` set when it does not compile.
    jq_state* start(const std::string& program, std::string& error) const;
};

}  // namespace notify::core::jq
