// libFuzzer: jq programs as a listener's filter and transform. Input: the program.
// Every program either compiles or is refused with a ValidationError; one that compiles and
// is bounded (none of the words that loop, recurse or allocate at will, no number over
// three digits) runs on an event as fire() and a handler run it, giving a verdict, a JSON
// body or a ValidationError, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/listener.hpp"
#include "notify/core/message_format.hpp"

namespace {

// jq lets a program loop for ever or allocate as much as it asks for ([range(1e9)],
// .[1e9] = 1, "x" * 1e9): true when `program` can do neither, so that running it proves
// something about notify rather than timing out.
bool bounded(std::string_view program) {
    for (const std::string_view word : {"range", "repeat", "while", "until", "recurse", "limit", "def ", "def\t",
                                        "def\n", "foreach", "reduce", "combinations", "walk", "splits", "implode",
                                        "ltrimstr", "rtrimstr", "pow", "exp", "e+", "E+", "e-", "E-", "infinite",
                                        "@base32d", "input", "$__loc__", "getpath", "setpath", "paths", "tostream",
                                        "fromstream", "truncate_stream", "env", "halt", "ascii", "*"}) {
        if (program.find(word) != std::string_view::npos) return false;
    }
    int digits = 0;
    for (const char c : program) {
        digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
        if (digits > 3) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string program(reinterpret_cast<const char*>(data), size);
    try {
        notify::core::validate_filter(program);
    } catch (const notify::ValidationError&) {
        return 0;
    }
    if (!bounded(program)) return 0;
    static const notify::core::Event event(
        "repo.sync.finish", {{"repo_id", "zoo"}, {"result", "failed"}, {"units_added", 3}, {"tags", {"a", "b"}}},
        "pulp-server");
    notify::core::Listener listener;
    listener.kind = "http";
    listener.format = "pulp";
    listener.filter = program;
    listener.transform = program;
    const auto verdict = notify::core::evaluate_filter(listener, event);
    if (verdict.passed && !verdict.error.empty()) std::abort();
    try {
        const auto message = notify::core::format_message(event, listener);
        (void)nlohmann::json::parse(message.body);  // the body is JSON
        if (message.content_type != "application/json") std::abort();
    } catch (const notify::ValidationError&) {
    }
    return 0;
}
