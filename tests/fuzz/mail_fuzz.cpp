// libFuzzer: the email handler's encoders. Input: "<subject template>\n<body text>". A
// template either parses or is refused; the composed mail must keep every line within 78
// bytes, end each in CRLF, hold no lone "." line and no CR or LF inside a header.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail_message.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "subject_template.hpp"

using namespace notify::handlers::email;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const auto subject_text = input.substr(0, newline);
    const std::string body(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
    MailContent mail;
    mail.from = "notify@example.com";
    mail.to = {"ops@example.com"};
    mail.message_id = "<1@example.com>";
    mail.body = body;
    try {
        const SubjectTemplate subject(subject_text);
        notify::core::Event event("repo.sync.finish", {{"text", body}});
        mail.subject = subject.render(event);
    } catch (const notify::ValidationError&) {
        mail.subject = "refused";
    }
    if (!notify::core::is_valid_utf8(mail.subject)) mail.subject = "not utf-8";
    const std::string text = compose(mail);
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find("\r\n", start);
        if (end == std::string::npos) std::abort();                                     // no final CRLF
        const std::string_view line(text.data() + start, end - start);
        if (line.size() > 78 || line == ".") std::abort();
        if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) std::abort();
        start = end + 2;
    }
    return 0;
}
