// Handler plugins loaded at run time: what is loaded, what is skipped and why, and the CLI
// and server.conf built from a plugin's descriptions.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "notify/core/plugin_loader.hpp"
#include "temp_dir.hpp"

using namespace notify;
using Catch::Matchers::Contains;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

const core::SkippedPlugin* skipped(const core::PluginLoader& loader, const std::string& file) {
    for (const auto& s : loader.skipped()) {
        if (s.path.filename() == file) return &s;
    }
    return nullptr;
}

// A CLI run with the test plugin folders in [plugins] path.
struct PluginCli : test::CliRunner {
    explicit PluginCli(const std::string& more = "") {
        write_raw(std::string("[plugins]\npath = ") + NOTIFY_GOOD_PLUGINS + ", " + NOTIFY_BAD_PLUGINS + "\n" + more);
    }
};

}  // namespace

TEST_CASE("a plugin folder's plugins are loaded, and every other file is named and skipped with its reason", "[plugins]") {
    test::TempDir extra;
    test::write_private(extra / "broken.so", "this is not a shared library\n");
    core::HandlerRegistry registry;
    std::vector<std::string> warnings;
    core::PluginLoader loader(registry, [&](core::LogLevel, std::string_view m) { warnings.emplace_back(m); });
    loader.load_folder(NOTIFY_GOOD_PLUGINS);
    loader.load_folder(NOTIFY_BAD_PLUGINS);
    loader.load_folder(extra.path());
    loader.load_folder(extra / "missing");

    REQUIRE(loader.loaded().size() == 1);
    CHECK(loader.loaded()[0].name == "recorder");
    CHECK(loader.loaded()[0].version == "2.5.0");
    CHECK(loader.loaded()[0].kinds == std::vector<std::string>{"recorder"});
    CHECK(loader.loaded()[0].path.filename() == "recorder.so");
    CHECK(registry.kinds() == std::vector<std::string>{"recorder"});

    const std::vector<std::pair<std::string, std::string>> expected{
        {"duplicate.so", "handler kind 'recorder' is registered already by plugin 'recorder'"},
        {"foreign_abi.so", "built for plugin ABI 999, this notify has ABI 2"},
        {"foreign_key.so", "built for 'notify 0.0; other-c++; other-stdlib', this notify is '" +
                               std::string(core::plugin_build_key()) + "'"},
        {"missing_symbol.so", "cannot be loaded: undefined symbol: "},
        {"not_a_plugin.so", "not a notify plugin (it has no notify_plugin_entry)"},
        {"throws_at_start.so", "failed to start: no licence for this plugin"},
        {"broken.so", "cannot be loaded: "},
        {"missing", "not a folder"},
    };
    for (const auto& [file, reason] : expected) {
        INFO(file);
        const auto* s = skipped(loader, file);
        REQUIRE(s != nullptr);
        CHECK_THAT(s->reason, Contains(reason));
    }
    CHECK(loader.skipped().size() == expected.size());
    // One warning line per skipped file, naming it.
    REQUIRE(warnings.size() == expected.size());
    for (const auto& w : warnings) CHECK(w.find('\n') == std::string::npos);
    CHECK_THAT(warnings.back(), Contains((extra / "missing").string()));
}

TEST_CASE("a plugin file or folder others may write is not loaded", "[plugins]") {
    test::TempDir folder;
    std::filesystem::copy_file(std::string(NOTIFY_GOOD_PLUGINS) + "/recorder.so", folder / "recorder.so");
    std::filesystem::permissions(folder / "recorder.so", std::filesystem::perms::group_write | std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::add);
    core::HandlerRegistry registry;
    core::PluginLoader loader(registry, [](core::LogLevel, std::string_view) {});
    loader.load_folder(folder.path());
    CHECK(loader.loaded().empty());
    REQUIRE(loader.skipped().size() == 1);
    CHECK_THAT(loader.skipped()[0].reason, Contains("writable by others (mode 0") && Contains("chmod go-w"));

    std::filesystem::permissions(folder / "recorder.so", std::filesystem::perms::group_write | std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::remove);
    std::filesystem::permissions(folder.path(), std::filesystem::perms::others_write, std::filesystem::perm_options::add);
    core::PluginLoader again(registry, [](core::LogLevel, std::string_view) {});
    again.load_folder(folder.path());
    CHECK(again.loaded().empty());
    REQUIRE(again.skipped().size() == 1);
    CHECK(again.skipped()[0].path == folder.path());
}

TEST_CASE("notify plugins list shows the loaded plugins and the skipped files", "[plugins][cli]") {
    PluginCli cli;
    const auto r = cli.run({"--json", "plugins", "list"});
    REQUIRE(r.code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    bool recorder = false;
    for (const auto& p : doc.at("plugins")) {
        if (p.at("name") == "recorder") {
            recorder = true;
            CHECK(p.at("version") == "2.5.0");
            CHECK(p.at("kinds") == nlohmann::json::array({"recorder"}));
            CHECK(p.at("path") == std::string(NOTIFY_GOOD_PLUGINS) + "/recorder.so");
        }
    }
    CHECK(recorder);
    CHECK(doc.at("skipped").size() == 6);
    // Each skipped file is one warning line on stderr, and the command still works.
    CHECK_THAT(r.err, Contains("plugin " + std::string(NOTIFY_BAD_PLUGINS) + "/missing_symbol.so skipped: cannot be loaded"));

    const auto text = cli.run({"plugins", "list"});
    CHECK_THAT(text.out, Contains("recorder 2.5.0  kinds: recorder  " + std::string(NOTIFY_GOOD_PLUGINS)));
    CHECK_THAT(text.out, Contains("skipped " + std::string(NOTIFY_BAD_PLUGINS) + "/foreign_abi.so: built for plugin ABI 999"));
}

TEST_CASE("a plugin's kind gets listener commands with the options its settings describe", "[plugins][cli]") {
    PluginCli cli;
    test::TempDir out;
    const auto file = (out / "events.txt").string();
    auto r = cli.run({"--json", "listener", "recorder", "create", "--event-type", "repo.sync.finish", "--file", file,
                      "--tag", "red", "--key", "s3cret-key"});
    REQUIRE(r.code == 0);
    const auto created = nlohmann::json::parse(r.out);
    CHECK(created.at("kind") == "recorder");
    CHECK(created.at("settings").at("file") == file);
    CHECK(created.at("settings").at("tag") == "red");
    CHECK(created.at("settings").at("key") == "********");
    const std::string id = created.at("id");

    SECTION("the help lists the plugin's options") {
        const auto help = cli.run({"listener", "recorder", "create", "--help"});
        CHECK(help.code == 0);
        CHECK_THAT(help.out, Contains("--file TEXT REQUIRED"));
        CHECK_THAT(help.out, Contains("A tag written with each line"));
    }
    SECTION("bad values are refused naming the flag, and nothing is stored") {
        const auto before = cli.run({"--json", "listener", "list"}).out;
        const auto bad = cli.run({"listener", "recorder", "update", "--listener-id", id, "--tag", "green"});
        CHECK(bad.code == 2);
        CHECK_THAT(bad.err, Contains("--tag 'green': expected one of red, blue"));
        const auto missing = cli.run({"listener", "recorder", "create", "--event-type", "x.y"});
        CHECK(missing.code == 2);
        CHECK_THAT(missing.err, Contains("--file"));
        CHECK(cli.run({"--json", "listener", "list"}).out == before);
        CHECK(before.find("s3cret-key") == std::string::npos);
    }
    SECTION("update changes one setting and keeps the others") {
        const auto u = cli.run({"--json", "listener", "recorder", "update", "--listener-id", id, "--tag", "blue"});
        REQUIRE(u.code == 0);
        const auto updated = nlohmann::json::parse(u.out);
        CHECK(updated.at("settings").at("tag") == "blue");
        CHECK(updated.at("settings").at("file") == file);
    }
    SECTION("the plugin's handler delivers what is fired") {
        const auto fired = cli.run({"event", "fire", "repo.sync.finish", "--wait", "10"});
        CHECK(fired.code == 0);
        CHECK_THAT(read_text(file), Contains("repo.sync.finish "));
        CHECK_THAT(read_text(file), Contains(" red\n"));
    }
    SECTION("without the plugin, its listeners are listed and can be deleted, not changed") {
        test::CliRunner plain;
        plain.store = cli.store;
        plain.write_raw("");
        const auto list = plain.run({"listener", "list"});
        CHECK(list.code == 0);
        CHECK_THAT(list.out, Contains(id));
        const auto update = plain.run({"listener", "recorder", "update", "--listener-id", id});
        CHECK(update.code == 2);
        CHECK(plain.run({"listener", "delete", "--listener-id", id}).code == 0);
    }
}

TEST_CASE("a plugin's server.conf section is checked, overridable and masked like notify's own", "[plugins][config]") {
    PluginCli cli("[recorder]\ntoken = t0k3n-value\n");
    auto r = cli.run({"--json", "check-config"});
    REQUIRE(r.code == 0);
    CHECK(r.out.find("t0k3n-value") == std::string::npos);
    CHECK(nlohmann::json::parse(r.out).at("recorder").at("token") == "********");

    PluginCli typo("[recorder]\nfail = sometimes\n");
    r = typo.run({"check-config"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("server.conf:6: [recorder] fail = 'sometimes': expected one of: none, create, settings, deliver"));

    ::setenv("NOTIFY_RECORDER__FAIL", "never", 1);
    r = cli.run({"check-config"});
    ::unsetenv("NOTIFY_RECORDER__FAIL");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("NOTIFY_RECORDER__FAIL"));

    test::CliRunner plain;
    plain.write_raw("[recorder]\ntoken = x\n");
    r = plain.run({"listener", "list"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("section [recorder] belongs to no installed plugin; installed: "));
    CHECK(r.err.find("recorder,") == std::string::npos);
}

TEST_CASE("a handler that refuses its settings stops the commands that would deliver, storing nothing", "[plugins]") {
    PluginCli cli("[recorder]\nfail = settings\n");
    test::TempDir out;
    REQUIRE(cli.run({"listener", "recorder", "create", "--event-type", "repo.sync.finish", "--file", (out / "x.txt").string()})
                .code == 0);
    const auto fired = cli.run({"event", "fire", "repo.sync.finish", "--wait", "3"});
    CHECK(fired.code == 2);
    CHECK_THAT(fired.err, Contains("cannot start the recorder handler: [recorder] fail = settings"));
    const auto list = cli.run({"--json", "delivery", "list"});
    REQUIRE(list.code == 0);
    CHECK(nlohmann::json::parse(list.out).empty());  // nothing fired, nothing stored
    // Without delivering (no --wait) nothing starts the handler: the event is stored for serve.
    CHECK(cli.run({"event", "fire", "repo.sync.finish"}).code == 0);
    const auto serve = cli.run({"serve"});
    CHECK(serve.code == 2);
    CHECK_THAT(serve.err, Contains("cannot start the recorder handler"));
}

TEST_CASE("a plugin that throws in create or deliver costs its own deliveries, never the process", "[plugins]") {
    for (const std::string fail : {"create", "deliver"}) {
        INFO(fail);
        PluginCli cli("[recorder]\nfail = " + fail + "\n");
        test::TempDir out;
        REQUIRE(cli.run({"listener", "recorder", "create", "--event-type", "repo.sync.finish", "--file",
                         (out / "x.txt").string()})
                    .code == 0);
        const auto fired = cli.run({"event", "fire", "repo.sync.finish", "--wait", "3"});
        CHECK(fired.code == 1);
        if (fail == "create") CHECK_THAT(fired.err, Contains("cannot start the recorder handler: recorder refused to start"));
        const auto list = cli.run({"--json", "delivery", "list"});
        REQUIRE(list.code == 0);
        const auto deliveries = nlohmann::json::parse(list.out);
        REQUIRE(deliveries.size() == 1);
        CHECK(deliveries[0].at("state") == "pending");
        if (fail == "deliver") {
            CHECK(deliveries[0].at("attempts") >= 1);
            CHECK_THAT(deliveries[0].at("last_error").get<std::string>(),
                       Contains("the recorder handler threw: recorder asked to fail"));
        }
    }
}
