// Exception types thrown by notify for mistakes a user can act on.
// Delivery failures are never exceptions: they travel as DeliveryResult values.
#pragma once

#include <stdexcept>
#include <string>

namespace notify {

// Base of every error notify throws on purpose. what() is one line a user can act on.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bad input: an event type, pattern, event JSON or listener setting breaks a rule.
class ValidationError : public Error {
public:
    using Error::Error;
};

// server.conf or an environment override is wrong; the message names file:line or the variable.
class ConfigError : public Error {
public:
    using Error::Error;
};

// The store file cannot be used (damaged, foreign, newer schema, I/O failure).
class StoreError : public Error {
public:
    using Error::Error;
};

// The store path names something that is not a notify store this build can use (not a
// regular file, not SQLite, damaged, another program's database, a newer schema). The file
// is left untouched; the fix is in the path or the file, so retrying cannot help.
class StoreUnusable : public StoreError {
public:
    using StoreError::StoreError;
};

// A listener id, handler kind or similar name does not exist.
class NotFound : public Error {
public:
    using Error::Error;
};

}  // namespace notify
