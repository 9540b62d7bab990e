// RFC 5322 / RFC 2045 / RFC 2047 encoding for the mails notify sends.
#include "mail_message.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace notify::handlers::email {

namespace {

constexpr std::size_t max_line = 76;  // quoted-printable and folded header lines
constexpr char hex[] = "0123456789ABCDEF";

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

bool is_plain_header_text(std::string_view text, std::size_t name_length) {
    if (name_length + 2 + text.size() > 78) return false;
    for (const char c : text) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    // "=?" could be read as the start of an encoded word.
    return text.find("=?") == std::string_view::npos;
}

// The longest prefix of `text` of at most `limit` bytes that ends on a UTF-8 boundary.
std::size_t utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text.size();
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return end == 0 ? limit : end;
}

// A character is written as itself unless it is '=', not printable ASCII, a space or tab
// ending the line, or a '.' starting one (so no line can read as the end of the message).
bool is_qp_literal(unsigned char b, std::size_t column, bool last) {
    if (b == '.' && column == 0) return false;
    if (b == ' ' || b == '\t') return !last;
    return b >= 33 && b <= 126 && b != '=';
}

void append_qp_line(std::string& out, std::string_view line) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto b = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        bool literal = is_qp_literal(b, column, last);
        // Leave room for the soft break "=" unless this character ends the line.
        if (column + (literal ? 1 : 3) > (last ? max_line : max_line - 1)) {
            out += "=\r\n";
            column = 0;
            literal = is_qp_literal(b, column, last);
        }
        if (literal) {
            out += static_cast<char>(b);
            column += 1;
        } else {
            out += '=';
            out += hex[b >> 4];
            out += hex[b & 0x0f];
            column += 3;
        }
    }
    out += "\r\n";
}

}  // namespace

std::string quoted_printable(std::string_view text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find_first_of("\r\n", start);
        const auto line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        append_qp_line(out, line);
        if (end == std::string_view::npos) break;
        start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    }
    return out;
}

std::string encode_header_text(std::string_view text, std::size_t name_length) {
    if (is_plain_header_text(text, name_length)) return std::string(text);
    // Each encoded word is at most 75 bytes ("=?UTF-8?B?" + base64 + "?=") and each line at
    // most 78: the first shares its line with "Name: ", the others follow a folding space.
    std::string out;
    while (!text.empty()) {
        const std::size_t room = out.empty() ? 78 - (name_length + 2) : 77;
        const std::size_t n = utf8_prefix(text, (std::min<std::size_t>(room, 75) - 12) / 4 * 3);
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(text.substr(0, n)) + "?=";
        text.remove_prefix(n);
    }
    return out;
}

std::string rfc5322_date(core::Timestamp time) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day ymd(day);
    const std::chrono::weekday weekday(day);
    const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(time - day));
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d +0000", days[weekday.c_encoding()],
                  static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return text;
}

std::string compose(const MailContent& mail) {
    std::string out;
    const auto header = [&](std::string_view name, std::string_view value) {
        out.append(name).append(": ").append(value).append("\r\n");
    };
    header("Date", rfc5322_date(mail.date));
    header("From", mail.from);
    std::string to;
    std::size_t column = 4;  // "To: "
    for (const auto& address : mail.to) {
        if (!to.empty()) {
            to += ",";
            column += 1;
            if (column + 1 + address.size() > 78) {
                to += "\r\n";
                column = 0;
            }
            to += " ";
            column += 1;
        }
        to += address;
        column += address.size();
    }
    header("To", to);
    header("Subject", encode_header_text(mail.subject, 7));
    header("Message-ID", mail.message_id);
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=utf-8");
    header("Content-Transfer-Encoding", "quoted-printable");
    header("Auto-Submitted", "auto-generated");
    for (const auto& [name, value] : mail.extra_headers) header(name, value);
    out += "\r\n";
    out += quoted_printable(mail.body);
    return out;
}

}  // namespace notify::handlers::email
