// Section and listener setting descriptions.
#include "notify/core/settings_spec.hpp"

namespace notify::core {

const KeySpec* SectionSpec::find(std::string_view key) const noexcept {
    for (const auto& k : keys) {
        if (k.name == key) return &k;
    }
    return nullptr;
}

std::string_view to_string(ValueType type) noexcept {
    switch (type) {
        case ValueType::string: return "string";
        case ValueType::name: return "name";
        case ValueType::boolean: return "boolean";
        case ValueType::integer: return "integer";
        case ValueType::duration: return "duration";
        case ValueType::choice: return "choice";
        case ValueType::url: return "url";
        case ValueType::url_list: return "url list";
        case ValueType::path: return "path";
        case ValueType::address: return "address";
    }
    return "?";
}

}  // namespace notify::core
