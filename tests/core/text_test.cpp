// Quoting user input in messages, UTF-8 checks and suggestions.
#include <catch2/catch.hpp>

#include "notify/core/text.hpp"

using namespace notify::core;

TEST_CASE("quote_text keeps messages on one safe line", "[text]") {
    CHECK(quote_text("plain") == "'plain'");
    CHECK(quote_text("a\r\nb") == "'a\\x0d\\x0ab'");
    CHECK(quote_text(std::string("a\0b", 3)) == "'a\\x00b'");
    CHECK(quote_text("it's") == "'it\\x27s'");
    CHECK(quote_text("caf\xc3\xa9") == "'caf\xc3\xa9'");
    CHECK(quote_text("\xff") == "'\\xff'");
    CHECK(quote_text(std::string(100, 'x'), 10) == std::string("'").append(10, 'x').append("...'"));
}

TEST_CASE("UTF-8 validation", "[text]") {
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
    CHECK(has_control_chars("a\tb"));
    CHECK(has_control_chars("a\x7f"));
    CHECK_FALSE(has_control_chars("a b"));
}

TEST_CASE("closest_match suggests near misses only", "[text]") {
    const std::vector<std::string> keys{"url", "topic_exchange", "auto_create_exchange", "management_url"};
    CHECK(closest_match("topic_exchnge", keys) == "topic_exchange");
    CHECK(closest_match("urls", keys) == "url");
    CHECK(closest_match("management", keys) == "management_url");
    CHECK(closest_match("colour", keys).empty());
    CHECK(closest_match("", keys).empty());
}
