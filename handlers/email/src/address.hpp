// Checks for what goes into an SMTP envelope or a mail header (internal).
#pragma once

#include <string>
#include <string_view>

namespace notify::handlers::email {

// Throws notify::ValidationError naming `what` and the address unless it is a plain ASCII
// addr-spec "local@domain": dot-atom local part (at most 64 bytes), host-name domain, at
// most 254 bytes, nothing else (no display name, no spaces, no <, >, CR, LF or controls).
void check_address(std::string_view address, std::string_view what);

// Throws notify::ValidationError naming `what` when `value` holds CR, LF or another
// control character, or is not UTF-8: it would end or corrupt a header.
void check_header_value(std::string_view value, std::string_view what);

}  // namespace notify::handlers::email
