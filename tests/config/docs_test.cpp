// docs/configuration.md must list every key with its default and environment name, and
// nothing the schema does not have.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "notify/config/schema.hpp"
#include "plugin_schema.hpp"

using namespace notify::config;

namespace {

std::string read_doc() {
    std::ifstream in(std::string(NOTIFY_SOURCE_DIR) + "/docs/configuration.md");
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("every key is documented with its default and environment name", "[config][docs]") {
    const std::string doc = read_doc();
    const Schema& schema = notify::test::plugin_schema();
    for (const auto& section : schema.sections()) {
        INFO("[" << section.name << "]");
        CHECK(doc.find("## [" + section.name + "]") != std::string::npos);
        for (const auto& key : section.keys) {
            INFO(key.name);
            const std::string env = environment_name(section.name, key.name);
            const std::string default_cell = key.default_text.empty() ? "(empty)" : "`" + key.default_text + "`";
            const std::string row_start = "| `" + key.name + "` | " + std::string(to_string(key.type)) + " | " +
                                          default_cell + " | `" + env + "` |";
            CHECK(doc.find(row_start) != std::string::npos);
        }
    }
}

TEST_CASE("the docs name no environment variable the schema lacks", "[config][docs]") {
    const std::string doc = read_doc();
    std::set<std::string> known;
    const Schema& schema = notify::test::plugin_schema();
    for (const auto& section : schema.sections()) {
        for (const auto& key : section.keys) known.insert(environment_name(section.name, key.name));
    }
    const std::regex env_name("NOTIFY_[A-Z0-9_]+__[A-Z0-9_]+");
    int mentioned = 0;
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), env_name); it != std::sregex_iterator(); ++it) {
        const std::string name = it->str();
        if (name == "NOTIFY_SECTION__KEY") continue;
        INFO(name);
        CHECK(known.count(name) == 1);
        ++mentioned;
    }
    CHECK(mentioned >= static_cast<int>(known.size()));
}
