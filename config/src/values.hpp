// Turning the text of one server.conf value into its typed Value (internal).
#pragma once

#include <stdexcept>
#include <string_view>

#include "notify/config/schema.hpp"
#include "notify/config/settings.hpp"

namespace notify::config::detail {

// What is wrong with a value, e.g. "expected a whole number from 1 to 256". The caller adds
// where it was written and which key it belongs to.
class ValueProblem : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws ValueProblem. Never echoes the text of a secret key.
Value parse_value(const KeySpec& spec, std::string_view text);

// How the value looks in messages and masked output ("********" for secrets).
std::string display_text(const KeySpec& spec, std::string_view text);

}  // namespace notify::config::detail
