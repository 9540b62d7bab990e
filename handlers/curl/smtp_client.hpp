// Sending one mail over SMTP through libcurl (internal: never installed). Transport
// problems are values, not exceptions.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cancellation.hpp"

namespace notify::handlers::curl {

struct SmtpRequest {
    std::string url;                 // smtp://host:port (STARTTLS per require_tls) or smtps://host:port
    bool require_tls = true;         // smtp://: STARTTLS or fail, never plain text
    std::string username;            // AUTH when not empty
    std::string password;
    std::string from;                // envelope sender, a checked address
    std::vector<std::string> recipients;  // checked addresses
    std::string message;             // the whole message, CRLF line endings
    std::string ca_file;             // empty: the system trust store
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds total_timeout{60000};
    Cancellation* cancel = nullptr;  // cancelled: give up at once
};

struct SmtpRefusal {
    std::string recipient;
    std::string reply;  // the server's answer to RCPT, e.g. "550 5.1.1 no such user"
};

struct SmtpResult {
    bool sent = false;    // the server accepted the message after DATA
    long code = 0;        // the server's last reply code; 0 when it never answered
    std::string error;    // why it was not sent: curl's message and the server's last reply
    std::vector<SmtpRefusal> refused;  // recipients the server refused (also when sent)
};

// Thread-safe; each thread reuses its own easy handle. Partial refusals do not stop the
// mail: it goes to the recipients the server accepted.
SmtpResult send_mail(const SmtpRequest& request);

}  // namespace notify::handlers::curl
