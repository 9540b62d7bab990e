// The event type catalogue.
#include <catch2/catch.hpp>

#include <thread>

#include "notify/core/catalogue.hpp"
#include "notify/core/error.hpp"
#include "notify/core/event.hpp"

using namespace notify::core;

TEST_CASE("the well-known catalogue lists 64 types, sorted, with descriptions", "[catalogue]") {
    const auto catalogue = EventCatalogue::with_well_known();
    const auto list = catalogue.list();
    CHECK(list.size() == 64);
    CHECK(std::is_sorted(list.begin(), list.end(),
                         [](const auto& a, const auto& b) { return a.type < b.type; }));
    for (const auto& info : list) {
        INFO(info.type);
        CHECK(is_valid_event_type(info.type));
        CHECK_FALSE(info.description.empty());
    }
    CHECK(catalogue.contains("repo.publish.finish"));
    CHECK(catalogue.contains("org_unit.org_unit.update"));
    CHECK_FALSE(catalogue.contains("repo.publish"));
}

TEST_CASE("patterns select catalogue types", "[catalogue]") {
    const auto catalogue = EventCatalogue::with_well_known();
    CHECK(catalogue.matching(TopicPattern("repo.*.finish")) ==
          std::vector<std::string>{"repo.publish.finish", "repo.sync.finish"});
    CHECK(catalogue.matching(TopicPattern("employee.it.#")) ==
          std::vector<std::string>{"employee.it.create", "employee.it.delete", "employee.it.update"});
    CHECK(catalogue.matching(TopicPattern("*.*.delete")).size() == 20);
    CHECK(catalogue.matching(TopicPattern("*")).size() == 64);
    CHECK(catalogue.matching(TopicPattern("billing.#")).empty());
}

TEST_CASE("hosts register their own types", "[catalogue]") {
    auto catalogue = EventCatalogue::with_well_known();
    catalogue.add("billing.invoice.paid", "An invoice was paid");
    CHECK(catalogue.contains("billing.invoice.paid"));
    CHECK(catalogue.matching(TopicPattern("billing.#")) == std::vector<std::string>{"billing.invoice.paid"});
    catalogue.add("billing.invoice.paid", "Paid in full");
    CHECK(catalogue.list().size() == 65);
    CHECK_THROWS_AS(catalogue.add("billing.*", "no"), notify::ValidationError);
    CHECK_THROWS_AS(catalogue.add("", "no"), notify::ValidationError);
    CHECK(catalogue.list().size() == 65);

    EventCatalogue empty;
    CHECK(empty.list().empty());
}

TEST_CASE("the catalogue may be used from several threads", "[catalogue]") {
    EventCatalogue catalogue;
    std::thread writer([&] {
        for (int i = 0; i < 500; ++i) catalogue.add("host.type" + std::to_string(i) + ".done", "d");
    });
    std::size_t seen = 0;
    for (int i = 0; i < 500; ++i) seen = std::max(seen, catalogue.matching(TopicPattern("host.#")).size());
    writer.join();
    CHECK(catalogue.list().size() == 500);
    CHECK(seen <= 500);
}
