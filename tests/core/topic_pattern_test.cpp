// Topic pattern matching: AMQP topic semantics plus the lone "*" of older admin tools.
#include <catch2/catch.hpp>

#include <random>

#include "notify/core/error.hpp"
#include "notify/core/topic_pattern.hpp"

using notify::core::TopicPattern;
using Catch::Contains;

namespace {

struct Case {
    const char* pattern;
    const char* type;
    bool matches;
};

// Straightforward recursive definition, used to cross-check the fast matcher.
bool reference_match(const std::vector<std::string>& p, std::size_t i, const std::vector<std::string>& t,
                     std::size_t j) {
    if (i == p.size()) return j == t.size();
    if (p[i] == "#") {
        for (std::size_t k = j; k <= t.size(); ++k) {
            if (reference_match(p, i + 1, t, k)) return true;
        }
        return false;
    }
    if (j == t.size()) return false;
    return (p[i] == "*" || p[i] == t[j]) && reference_match(p, i + 1, t, j + 1);
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto dot = text.find('.', start);
        out.push_back(text.substr(start, dot - start));
        if (dot == std::string::npos) return out;
        start = dot + 1;
    }
}

}  // namespace

TEST_CASE("pattern matching table", "[pattern]") {
    const Case cases[] = {
        // '#' alone and repeated
        {"#", "a", true},
        {"#", "a.b.c", true},
        {"#.#", "a", true},
        {"#.#", "a.b.c", true},
        {"#.#.#", "a.b", true},
        // lone '*' = every event (older admin tools)
        {"*", "a", true},
        {"*", "repo.sync.finish", true},
        // '*' inside a pattern = exactly one word
        {"*.*", "a.b", true},
        {"*.*", "a", false},
        {"*.*", "a.b.c", false},
        {"*.b", "a.b", true},
        {"*.b", "b", false},
        {"a.*", "a", false},
        {"a.*.b", "a.x.b", true},
        {"a.*.b", "a.b", false},
        {"a.*.b", "a.x.y.b", false},
        // '#' between words = zero or more words
        {"a.#.b", "a.b", true},
        {"a.#.b", "a.x.b", true},
        {"a.#.b", "a.x.y.z.b", true},
        {"a.#.b", "a.b.c", false},
        {"a.#.b", "a", false},
        {"a.#.b", "b.a.b", false},
        {"a.#.b", "a.b.b", true},
        {"a.#", "a", true},
        {"a.#", "a.b.c", true},
        {"a.#", "b.a", false},
        {"#.b", "b", true},
        {"#.b", "a.a.b", true},
        {"#.b", "b.a", false},
        {"#.a.#", "a", true},
        {"#.a.#", "x.a.y", true},
        {"#.a.#", "x.y", false},
        {"a.#.#.b", "a.b", true},
        {"a.#.b.#.c", "a.b.b.c", true},
        {"a.#.b.#.c", "a.c.b", false},
        // one or more words
        {"*.#", "a", true},
        {"*.#", "a.b", true},
        {"#.*", "a.b.c", true},
        {"*.*.#", "a", false},
        {"*.*.#", "a.b", true},
        {"#.*.*", "a.b", true},
        {"#.*.*", "a", false},
        // literals are exact and case-sensitive
        {"a.b", "a.b", true},
        {"a.b", "a.bc", false},
        {"a.b", "a.b.c", false},
        {"a.b", "ab", false},
        {"A.b", "a.b", false},
        // the event types this product routes
        {"employee.*.create", "employee.it.create", true},
        {"employee.*.create", "org_unit.it.create", false},
        {"*.manager.#", "org_unit.manager.delete", true},
        {"repo.*.finish", "repo.sync.finish", true},
        {"repo.*.finish", "repo.sync.start", false},
        {"repo.#", "repo.publish.finish", true},
        {"repo.sync.finish", "repo.sync.finish", true},
        {"repo.sync.finish", "repo.sync.start", false},
    };
    for (const auto& c : cases) {
        INFO(c.pattern << " vs " << c.type);
        CHECK(TopicPattern(c.pattern).matches(c.type) == c.matches);
    }
}

TEST_CASE("matches_everything", "[pattern]") {
    CHECK(TopicPattern("#").matches_everything());
    CHECK(TopicPattern("*").matches_everything());
    CHECK(TopicPattern("#.#").matches_everything());
    CHECK_FALSE(TopicPattern("*.#").matches_everything());
    CHECK_FALSE(TopicPattern("a.#").matches_everything());
    CHECK(TopicPattern("*").text() == "*");
}

TEST_CASE("invalid patterns are rejected naming the pattern and the problem", "[pattern]") {
    struct Bad {
        std::string pattern;
        std::string reason;
    };
    const Bad cases[] = {
        {"", "it is empty"},
        {".", "word 0 is empty"},
        {"a.", "word 2 is empty"},
        {".a", "word 0 is empty"},
        {"a..b", "word 2 is empty"},
        {"a.#.", "word 4 is empty"},
        {"a*", "mixes a wildcard"},
        {"*a", "mixes a wildcard"},
        {"#a", "mixes a wildcard"},
        {"a.b#", "mixes a wildcard"},
        {"**", "mixes a wildcard"},
        {"a b", "byte 1 is not allowed"},
        {"a/b", "byte 1 is not allowed"},
        {"caf\xc3\xa9", "byte 3 is not allowed"},
        {std::string(256, 'a'), "256 bytes long"},
    };
    for (const auto& c : cases) {
        INFO(c.pattern);
        CHECK_FALSE(TopicPattern::is_valid(c.pattern));
        try {
            TopicPattern p(c.pattern);
            FAIL("accepted");
        } catch (const notify::ValidationError& e) {
            CHECK_THAT(e.what(), Contains("invalid event-type pattern"));
            CHECK_THAT(e.what(), Contains(c.reason));
        }
    }
    CHECK(TopicPattern::is_valid(std::string(255, 'a')));
}

TEST_CASE("fast matcher agrees with the recursive definition", "[pattern]") {
    std::mt19937 rng(12345);
    const char* pattern_words[] = {"a", "b", "*", "#"};
    const char* type_words[] = {"a", "b", "c"};
    int matched = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string pattern;
        const int pn = 1 + static_cast<int>(rng() % 5);
        for (int i = 0; i < pn; ++i) pattern.append(i ? "." : "").append(pattern_words[rng() % 4]);
        std::string type;
        const int tn = 1 + static_cast<int>(rng() % 6);
        for (int i = 0; i < tn; ++i) type.append(i ? "." : "").append(type_words[rng() % 3]);
        const bool expected = pattern == "*" || reference_match(split(pattern), 0, split(type), 0);
        INFO(pattern << " vs " << type);
        REQUIRE(TopicPattern(pattern).matches(type) == expected);
        matched += expected;
    }
    CHECK(matched > 1000);  // the sample exercises both outcomes
    CHECK(matched < 19000);
}

TEST_CASE("many '#' words match in polynomial time", "[pattern]") {
    // The fuzzer's shape (tests/fuzz/topic/regression-many-hashes): a backtracking matcher
    // tries every split of the type among the '#' words, which never ends for 60 of them.
    std::string hashes;
    for (int i = 0; i < 60; ++i) hashes += "#.";
    std::string prefix;
    for (int i = 0; i < 100; ++i) prefix += "x.";
    const TopicPattern pattern(hashes + "a.b.c");
    CHECK(pattern.matches(prefix + "a.b.c"));
    CHECK(pattern.matches("a.b.c"));
    CHECK_FALSE(pattern.matches(prefix + "a.b.d"));
    CHECK_FALSE(pattern.matches(prefix + "a.b.c.x"));
    CHECK_FALSE(TopicPattern(hashes + "*.r.x").matches(prefix + "r.y"));
}
