// inih reads through our own line reader: it counts lines (Debian's inih does not pass
// line numbers to handlers) and rejects bytes that have no place in a text file.
#include "ini_reader.hpp"

#include <cstring>

#include <ini.h>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"

namespace notify::config::detail {

namespace {

struct ReadState {
    std::string_view text;
    std::size_t pos = 0;
    int line = 0;
    bool continuation = false;
    const std::function<std::string(const IniEntry&)>* on_entry = nullptr;
    std::string error;  // first problem found by us
    int error_line = 0;

    void fail(int at, std::string message) {
        if (error_line == 0) {
            error_line = at;
            error = std::move(message);
        }
    }
};

std::string line_problem(std::string_view line, int max_bytes) {
    if (line.find('\0') != std::string_view::npos) return "contains a NUL byte; is this a text file?";
    if (!core::is_valid_utf8(line)) return "is not valid UTF-8";
    for (const char c : line) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 && c != '\t' && c != '\r') || b == 0x7f) return "contains control characters";
    }
    if (static_cast<int>(line.size()) > max_bytes) {
        return "is longer than " + std::to_string(max_bytes) +
               " bytes; continue a long list on indented lines";
    }
    return {};
}

// An ini_reader: hands inih one line per call, like fgets.
char* next_line(char* buffer, int size, void* stream) {
    auto& s = *static_cast<ReadState*>(stream);
    if (s.error_line != 0 || s.pos >= s.text.size()) return nullptr;
    const std::size_t newline = s.text.find('\n', s.pos);
    const std::size_t end = newline == std::string_view::npos ? s.text.size() : newline;
    std::string_view line = s.text.substr(s.pos, end - s.pos);
    s.pos = end + 1;
    ++s.line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Room for the line, its newline and the terminating NUL.
    const std::string problem = line_problem(line, size - 2);
    if (!problem.empty()) {
        s.fail(s.line, "line " + problem);
        return nullptr;
    }
    s.continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    std::memcpy(buffer, line.data(), line.size());
    buffer[line.size()] = '\n';
    buffer[line.size() + 1] = '\0';
    return buffer;
}

int on_key(void* user, const char* section, const char* name, const char* value) {
    auto& s = *static_cast<ReadState*>(user);
    if (s.error_line != 0) return 0;
    std::string problem =
        (*s.on_entry)(IniEntry{s.line, section, name, value, s.continuation});
    if (problem.empty()) return 1;
    s.fail(s.line, std::move(problem));
    return 0;
}

}  // namespace

void read_ini(std::string_view text, const std::string& file,
              const std::function<std::string(const IniEntry&)>& on_entry) {
    ReadState state;
    state.text = text;
    state.on_entry = &on_entry;
    const int rc = ini_parse_stream(&next_line, &state, &on_key, &state);
    if (rc == -2) throw std::bad_alloc();
    if (rc > 0 && (state.error_line == 0 || rc < state.error_line)) {
        throw ConfigError(file + ":" + std::to_string(rc) +
                          ": expected '[section]', 'key = value' or a comment (';' or '#')");
    }
    if (state.error_line != 0) {
        throw ConfigError(file + ":" + std::to_string(state.error_line) + ": " + state.error);
    }
}

}  // namespace notify::config::detail
