// Mail encoding and subject templates, without a server.
#include <catch2/catch.hpp>

#include "address.hpp"
#include "mail_message.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "subject_template.hpp"

using namespace notify;
using namespace notify::handlers::email;

TEST_CASE("quoted-printable keeps lines short, ends them in CRLF and hides lone dots", "[email][encoding]") {
    CHECK(quoted_printable("plain text") == "plain text\r\n");
    CHECK(quoted_printable("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd\r\n");
    CHECK(quoted_printable(".\n..x") == "=2E\r\n=2E.x\r\n");
    CHECK(quoted_printable("a=b") == "a=3Db\r\n");
    CHECK(quoted_printable("trailing space ") == "trailing space=20\r\n");
    CHECK(quoted_printable("caf\xC3\xA9") == "caf=C3=A9\r\n");
    CHECK(quoted_printable("\x01\x7f") == "=01=7F\r\n");

    const std::string encoded = quoted_printable(std::string(200, 'x') + "\xC3\xA9" + std::string(100, '.'));
    std::size_t start = 0;
    std::string decoded;
    while (start < encoded.size()) {
        const auto end = encoded.find("\r\n", start);
        REQUIRE(end != std::string::npos);
        const std::string line = encoded.substr(start, end - start);
        CHECK(line.size() <= 76);
        CHECK(line.front() != '.');
        decoded += line.back() == '=' ? line.substr(0, line.size() - 1) : line;
        start = end + 2;
    }
    // Undo the escapes used: the original text comes back.
    for (const auto& [escape, byte] : {std::pair<std::string, std::string>{"=C3=A9", "\xC3\xA9"}, {"=2E", "."}}) {
        for (auto at = decoded.find(escape); at != std::string::npos; at = decoded.find(escape, at + byte.size())) {
            decoded.replace(at, escape.size(), byte);
        }
    }
    CHECK(decoded == std::string(200, 'x') + "\xC3\xA9" + std::string(100, '.'));
}

TEST_CASE("header text is RFC 2047 encoded when not short printable ASCII", "[email][encoding]") {
    CHECK(encode_header_text("Repo zoo synced", 7) == "Repo zoo synced");
    CHECK(encode_header_text("caf\xC3\xA9", 7) == "=?UTF-8?B?Y2Fmw6k=?=");
    CHECK(encode_header_text("looks =?like?= a word", 7).rfind("=?UTF-8?B?", 0) == 0);
    // A long subject is split into words of at most 75 bytes on folded lines, never inside
    // a UTF-8 character.
    std::string subject;
    for (int i = 0; i < 40; ++i) subject += "\xE2\x9C\x93 ";
    const std::string encoded = encode_header_text(subject, 7);
    std::size_t start = 0;
    int words = 0;
    while (start < encoded.size()) {
        auto end = encoded.find("\r\n ", start);
        const std::string word = encoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
        CHECK(word.size() <= 75);
        CHECK(word.rfind("=?UTF-8?B?", 0) == 0);
        ++words;
        if (end == std::string::npos) break;
        start = end + 3;
    }
    CHECK(words == 4);  // 160 bytes in words of at most 45 bytes, each ending on a character
    // With its header name, the first line stays within 78 bytes too.
    CHECK(encoded.find("\r\n") + 9 <= 78);
}

TEST_CASE("dates are RFC 5322, in UTC, whatever the locale", "[email][encoding]") {
    CHECK(rfc5322_date(core::parse_rfc3339("2026-11-24T09:05:03.250Z")) == "Tue, 24 Nov 2026 09:05:03 +0000");
    CHECK(rfc5322_date(core::parse_rfc3339("2000-02-29T23:59:59Z")) == "Tue, 29 Feb 2000 23:59:59 +0000");
}

TEST_CASE("compose writes the headers in order and a quoted-printable body", "[email][encoding]") {
    MailContent mail;
    mail.from = "notify@example.com";
    mail.to = {"a@example.com", "b@example.com"};
    mail.subject = "Hello";
    mail.message_id = "<1@example.com>";
    mail.date = core::parse_rfc3339("2026-11-24T09:05:03Z");
    mail.extra_headers = {{"X-Notify-Event-Type", "repo.sync.finish"}};
    mail.body = "line one\n.\nline three";
    CHECK(compose(mail) ==
          "Date: Tue, 24 Nov 2026 09:05:03 +0000\r\n"
          "From: notify@example.com\r\n"
          "To: a@example.com, b@example.com\r\n"
          "Subject: Hello\r\n"
          "Message-ID: <1@example.com>\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n"
          "Auto-Submitted: auto-generated\r\n"
          "X-Notify-Event-Type: repo.sync.finish\r\n"
          "\r\n"
          "line one\r\n=2E\r\nline three\r\n");
    // Many recipients fold the To header.
    mail.to.assign(10, "someone.with.a.long.name@example.com");
    const std::string text = compose(mail);
    CHECK(text.find("someone.with.a.long.name@example.com,\r\n someone") != std::string::npos);
}

TEST_CASE("subject templates", "[email][template]") {
    core::Event e("employee.it.create", {{"uuid", "u-1"}, {"n", 3}, {"org", {{"name", "HR"}}}, {"empty", ""}}, "hr.test");
    e.set_time(core::parse_rfc3339("2026-11-24T09:00:00Z"));
    CHECK(SubjectTemplate("{type} {data.uuid} #{data.n} {data.org.name} [{data.empty}] {source}").render(e) ==
          "employee.it.create u-1 #3 HR [] hr.test");
    CHECK(SubjectTemplate("{{type}} at {time}").render(e) == "{type} at 2026-11-24T09:00:00.000000Z");
    CHECK(SubjectTemplate("{effective}").render(e) == "2026-11-24T09:00:00.000000Z");
    // A data field the event lacks stays visible instead of vanishing.
    CHECK(SubjectTemplate("repo {data.repo_id}").render(e) == "repo {data.repo_id}");
    CHECK_THROWS_WITH(SubjectTemplate("{nope}"), Catch::Contains("unknown placeholder {nope}"));
    CHECK_THROWS_WITH(SubjectTemplate("{data.}"), Catch::Contains("unknown placeholder {data.}"));
    CHECK_THROWS_WITH(SubjectTemplate("a } b"), Catch::Contains("a '}' without its '{'"));
    CHECK_THROWS_WITH(SubjectTemplate(std::string(501, 'x')), Catch::Contains("longer than 500 bytes"));
    CHECK_THROWS_WITH(SubjectTemplate("a\tb"), Catch::Contains("control character"));
}

TEST_CASE("subjects stay one plain line of at most 998 bytes, whatever the event holds", "[email][template][security]") {
    // NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029) break lines in some
    // mail clients; RIGHT-TO-LEFT OVERRIDE (U+202E) and its kin reorder what is shown.
    core::Event e("repo.sync.finish",
                  {{"title", "a\xC2\x85" "b\xE2\x80\xA8" "c\xE2\x80\xA9" "d\xE2\x80\xAE" "e\xE2\x81\xA6" "f\r\ng"},
                   {"long", std::string(997, 'x') + "\xC3\xA9" + std::string(600, 'y')}});
    CHECK(SubjectTemplate("[{data.title}]").render(e) == "[a b c d e f  g]");
    // Byte 998 is the second byte of the e with an acute accent: the cut goes before it.
    const std::string cut = SubjectTemplate("{data.long}").render(e);
    CHECK(cut == std::string(997, 'x'));
    CHECK(SubjectTemplate("ab{data.long}").render(e).size() == 998);
    // In the template itself they are refused, like CR and LF.
    for (const char* bad : {"a\xC2\x85" "b", "a\xE2\x80\xA8" "b", "a\xE2\x80\xAE" "b"}) {
        INFO(bad);
        CHECK_THROWS_WITH(SubjectTemplate(bad), Catch::Contains("line separator or a bidirectional control"));
    }
}

TEST_CASE("addresses", "[email][address]") {
    for (const char* good : {"a@b.c", "first.last+tag@sub.example.com", "o'hara@example.com", "x@localhost"}) {
        INFO(good);
        CHECK_NOTHROW(check_address(good, "recipient"));
    }
    for (const char* bad : {"", "a", "a@", "@b.c", "a..b@c.d", ".a@b.c", "a@b..c", "a b@c.d", "a@b.c\n", "a@b_c.d",
                            "\"q\"@b.c", "a@[127.0.0.1]", "a@b.c,d@e.f"}) {
        INFO(bad);
        CHECK_THROWS_AS(check_address(bad, "recipient"), ValidationError);
    }
    CHECK_THROWS_WITH(check_address(std::string(65, 'a') + "@b.c", "recipient"), Catch::Contains("1-64"));
}
