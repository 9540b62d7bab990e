// libFuzzer: event JSON decoded, then rendered in every message format and as a mail
// subject. Any input must end in an event or a notify::ValidationError; an event must
// survive its JSON round trip and render in every format.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "notify/core/error.hpp"
#include "notify/core/event.hpp"
#include "notify/core/message_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded()) return 0;
    try {
        const auto event = notify::core::event_from_json(json);
        if (notify::core::event_from_json(notify::core::to_json(event)) != event) std::abort();
        for (const auto format : notify::core::message_formats) {
            const auto message = notify::core::format_message(event, format);
            if (nlohmann::json::parse(message.body, nullptr, false).is_discarded()) std::abort();
        }
    } catch (const notify::ValidationError&) {
    }
    return 0;
}
