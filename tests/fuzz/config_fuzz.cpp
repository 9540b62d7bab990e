// libFuzzer: server.conf text through the parser and schema checks. Any input must end in
// settings or a notify::ConfigError, never a crash or another exception.
#include <cstdint>
#include <string_view>

#include "notify/config/loader.hpp"
#include "notify/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto settings = notify::config::parse(text, "fuzz.conf", notify::config::Environment{});
        (void)settings.to_masked_json().dump();
        (void)settings.store();
        (void)settings.delivery();
    } catch (const notify::ConfigError&) {
    }
    return 0;
}
