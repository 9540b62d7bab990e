#include "jq_program.hpp"

#include <algorithm>
#include <unordered_map>

extern "C" {
#include <jq.h>
}

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::core::jq {

namespace {

// jq's messages of one compile, each on one line, joined.
void collect_message(void* data, jv message) {
    auto& out = *static_cast<std::string*>(data);
    jv text = jq_format_error(message);  // consumes message
    std::string line = jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : "jq: error";
    jv_free(text);
    for (char& c : line) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!out.empty()) out += "; ";
    out += escape_controls(line);  // the program's own text may hold any byte
}

// Put before every program, on its first line (so that jq's line numbers stay the user's):
// the builtins that reach outside the event are shadowed. `env` and `$ENV` would read the
// firing process's environment (secrets), `debug` and `stderr` would write to its stderr,
// `input` and `inputs` would read further inputs, which a filter does not have.
constexpr std::string_view sandbox =
    "def env: {}; def debug: .; def stderr: .; "
    "def input: error(\"input is not available to notify's jq programs\"); "
    "def inputs: error(\"inputs is not available to notify's jq programs\"); {} as $ENV | ";

// jq's messages without the sandbox (it quotes the line it failed on).
std::string without_sandbox(std::string messages) {
    for (auto at = messages.find(sandbox); at != std::string::npos; at = messages.find(sandbox, at)) {
        messages.erase(at, sandbox.size());
    }
    return messages;
}

struct StateDeleter {
    void operator()(jq_state* state) const noexcept { jq_teardown(&state); }
};
using State = std::unique_ptr<jq_state, StateDeleter>;

// A compiled state, or jq's messages when `program` does not compile.
State compile(const std::string& program, std::string& messages) {
    State state(jq_init());
    if (!state) throw std::bad_alloc();
    // No module search path: `import` and `include` find nothing (and libjq asserts
    // without one).
    jq_set_attr(state.get(), jv_string("JQ_LIBRARY_PATH"), jv_array());
    jq_set_error_cb(state.get(), collect_message, &messages);
    const std::string sandboxed = std::string(sandbox) + program;
    const bool ok = jq_compile(state.get(), sandboxed.c_str()) != 0;
    jq_set_error_cb(state.get(), nullptr, nullptr);  // run-time errors come back from jq_next
    if (!ok) {
        messages = without_sandbox(std::move(messages));
        if (messages.empty()) messages = "jq: error: the program does not compile";
        return nullptr;
    }
    return state;
}

// This thread's compiled programs.
struct ThreadStates {
    std::unordered_map<std::string, State> by_program;
    std::size_t limit = max_programs_per_thread;
    std::size_t compiles = 0;
    jq_state* get(const std::string& program, std::string& messages) {
        if (auto it = by_program.find(program); it != by_program.end()) return it->second.get();
        if (by_program.size() >= limit) by_program.clear();
        ++compiles;
        auto state = compile(program, messages);
        if (!state) return nullptr;
        return by_program.emplace(program, std::move(state)).first->second.get();
    }
};

ThreadStates& thread_states() {
    thread_local ThreadStates states;
    return states;
}

std::string message_of(jv invalid) {
    jv message = jv_invalid_get_msg(invalid);  // consumes invalid
    std::string text;
    if (jv_get_kind(message) == JV_KIND_STRING) {
        text = jv_string_value(message);
        jv_free(message);
    } else {
        jv dumped = jv_dump_string(message, 0);  // consumes message
        text = jv_string_value(dumped);
        jv_free(dumped);
    }
    return text;
}

}  // namespace

void keep_programs_on_this_thread(std::size_t n) {
    auto& states = thread_states();
    states.limit = std::max<std::size_t>(1, n);
    if (states.by_program.size() > states.limit) states.by_program.clear();
}

std::size_t compiles_on_this_thread() noexcept { return thread_states().compiles; }

void check(std::string_view what, const std::string& program) {
    if (program.find('\0') != std::string::npos) throw ValidationError(std::string(what) + ": holds a NUL character");
    std::string messages;
    if (!compile(program, messages)) throw ValidationError(std::string(what) + ": " + messages);
}

struct Input::Value {
    explicit Value(jv parsed) : value(parsed) {}
    Value(const Value&) = delete;
    Value& operator=(const Value&) = delete;
    ~Value() { jv_free(value); }
    jv value;
};

Input::Input(const std::string& json)
    : value_(std::make_unique<Value>(jv_parse_sized(json.data(), static_cast<int>(json.size())))) {
    if (!jv_is_valid(value_->value)) {
        const std::string message = message_of(jv_copy(value_->value));
        throw ValidationError("not JSON for jq: " + message);
    }
}

Input::~Input() = default;

jq_state* Input::start(const std::string& program, std::string& error) const {
    jq_state* state = thread_states().get(program, error);
    if (state != nullptr) jq_start(state, jv_copy(value_->value), 0);
    return state;
}

Input::Output Input::first(const std::string& program) const {
    Output output;
    jq_state* state = start(program, output.error);
    if (state == nullptr) return output;
    jv out = jq_next(state);
    if (jv_is_valid(out)) {
        jv dumped = jv_dump_string(out, 0);  // consumes out
        output.json = jv_string_value(dumped);
        jv_free(dumped);
    } else if (jv_invalid_has_msg(jv_copy(out))) {
        output.error = message_of(out);
    } else {
        jv_free(out);
        output.error = "the program gave no output";
    }
    return output;
}

Input::Outcome Input::test(const std::string& program) const {
    Outcome outcome;
    jq_state* state = start(program, outcome.error);
    if (state == nullptr) return outcome;
    jv out = jq_next(state);
    if (jv_is_valid(out)) {
        outcome.passed = jv_get_kind(out) == JV_KIND_TRUE;
        jv_free(out);
    } else if (jv_invalid_has_msg(jv_copy(out))) {
        outcome.error = message_of(out);
    } else {
        jv_free(out);  // no output at all (empty, select(false))
    }
    return outcome;
}

}  // namespace notify::core::jq
