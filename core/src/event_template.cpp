// Parsing event templates once, when a listener is stored, and rendering them per event.
#include "notify/core/event_template.hpp"

#include <algorithm>
#include <optional>

#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::core {

namespace {

const std::vector<std::string> fixed_names{"type", "id", "time", "source", "effective"};

bool is_data_path(std::string_view name) {
    if (name.rfind("data.", 0) != 0 || name.size() == 5 || name.back() == '.') return false;
    for (const char c : name.substr(5)) {
        if (static_cast<unsigned char>(c) < 0x21 || c == '{' || c == '}') return false;
    }
    return name.find("..") == std::string_view::npos;
}

std::string cut_utf8(std::string text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;  // not inside a character
    text.resize(end);
    return text;
}

std::optional<std::string> data_field(const nlohmann::json& data, std::string_view path) {
    const nlohmann::json* node = &data;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (!node->is_object()) return std::nullopt;
        const auto it = node->find(key);
        if (it == node->end()) return std::nullopt;
        node = &*it;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (node->is_string()) return node->get<std::string>();
    return node->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

EventTemplate::EventTemplate(std::string_view text, std::string_view what) {
    const auto fail = [&](const std::string& why) {
        throw ValidationError(std::string(what) + " " + quote_text(text) + ": " + why);
    };
    if (text.size() > 500) fail("longer than 500 bytes");
    if (has_control_chars(text) || has_line_breaking_or_bidi(text)) fail("holds a control character or a line separator");
    if (!is_valid_utf8(text)) fail("is not valid UTF-8");
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal += c;
            ++i;
        } else if (c == '}') {
            fail("a '}' without its '{' (write }} for a literal brace)");
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string_view::npos) fail("a '{' without its '}' (write {{ for a literal brace)");
            const std::string name(text.substr(i + 1, close - i - 1));
            const bool known = std::find(fixed_names.begin(), fixed_names.end(), name) != fixed_names.end();
            if (!known && !is_data_path(name)) {
                auto suggestion = closest_match(name, fixed_names);
                if (suggestion.empty() && !name.empty() && name.find_first_of("{} ") == std::string::npos) {
                    suggestion = "data." + name;
                }
                fail("unknown placeholder {" + name + "}" +
                     (suggestion.empty() ? std::string() : "; did you mean {" + suggestion + "}?") +
                     " (known: {type} {id} {time} {source} {effective} {data.NAME})");
            }
            if (!literal.empty()) parts_.push_back({false, std::move(literal)});
            literal.clear();
            parts_.push_back({true, name});
            i = close;
        } else {
            literal += c;
        }
    }
    if (!literal.empty()) parts_.push_back({false, std::move(literal)});
}

std::string EventTemplate::render(const Event& event, std::size_t max_bytes) const {
    std::string out;
    for (const auto& part : parts_) {
        if (!part.placeholder) {
            out += part.text;
        } else if (part.text == "type") {
            out += event.type();
        } else if (part.text == "id") {
            out += event.id();
        } else if (part.text == "time") {
            out += format_rfc3339(event.time());
        } else if (part.text == "effective") {
            out += format_rfc3339(event.effective().value_or(event.time()));
        } else if (part.text == "source") {
            out += flatten_line(event.source());
        } else {
            const auto value = data_field(event.data(), std::string_view(part.text).substr(5));
            out += value ? flatten_line(*value) : "{" + part.text + "}";
        }
    }
    return cut_utf8(std::move(out), max_bytes);
}

}  // namespace notify::core
