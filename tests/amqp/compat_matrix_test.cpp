// The compatibility matrix: the consumers users already run (pika, kombu with
// accept=['json'], py-amqp, Proton Python) and notify's own consumer API, each on its own
// queue, times every format, times three bindings, against the real broker. It writes the
// table docs/amqp.md shows and fails when the two differ.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "amqp_notifier.hpp"
#include "expected_message.hpp"
#include "notify/core/topic_pattern.hpp"
#include "pika.hpp"

using namespace notify::core;
using namespace notify::test;
using notify::handlers::amqp::Consumer;
using namespace std::chrono_literals;

namespace {

struct Column {
    std::string title, format, mode, slug;
};
const std::vector<Column> columns{{"cloudevents (binary, default)", "cloudevents", "binary", "ce"},
                                  {"cloudevents (structured)", "cloudevents", "structured", "ces"},
                                  {"data", "data", "binary", "data"},
                                  {"pulp", "pulp", "binary", "pulp"}};
const std::vector<std::string> consumers{"pika", "kombu", "py-amqp", "proton", "notify"};
const std::vector<std::string> bindings{"#", "repo.*.finish", "employee.#"};

// Pulp's routing keys are pulp.server.<type>: its consumers bind with that prefix.
std::string binding_for(const Column& c, const std::string& binding) {
    return c.format == "pulp" && binding != "#" ? "pulp.server." + binding : binding;
}

// How many of the column's messages `binding` selects (matched against their routing keys).
long selected(const Column& c, const std::string& binding, const std::map<std::string, Event>& sent) {
    const TopicPattern pattern(binding);
    return std::count_if(sent.begin(), sent.end(), [&](const auto& s) {
        return pattern.matches(expected_message(s.second, c.format, c.mode).subject);
    });
}

// One received message, as every consumer reports it.
struct Got {
    std::string routing_key, content_type, message_id;
    nlohmann::json body;  // decoded; {"error": "ExceptionName"} when the consumer refused it
    bool durable = false;
};

// What the column's listener sent: event by delivery id.
using Sent = std::map<std::string, Event>;

// The cell's text: "✓ N" when the N messages are exactly those the binding selects, each
// with its routing key, content type, decoded body, message id and persistence; what kombu
// refuses as "refused: <exception>"; else "✗ <first problem>".
std::string judge(const std::vector<Got>& got, bool extra, const Column& c, const std::string& binding,
                  const Sent& sent) {
    const TopicPattern pattern(binding);
    std::set<std::string> want;
    for (const auto& [id, e] : sent) {
        if (pattern.matches(expected_message(e, c.format, c.mode).subject)) want.insert(id);
    }
    std::set<std::string> seen;
    std::set<std::string> refusals;
    for (const auto& m : got) {
        if (sent.count(m.message_id) == 0 || want.count(m.message_id) == 0) return "✗ unexpected message " + m.message_id;
        if (!seen.insert(m.message_id).second) return "✗ duplicate " + m.message_id;
        const Event& e = sent.at(m.message_id);
        const auto expected = expected_message(e, c.format, c.mode);
        if (m.routing_key != expected.subject) return "✗ routing key " + m.routing_key;
        if (m.content_type != expected.content_type) return "✗ content type " + m.content_type;
        if (!m.durable) return "✗ not persistent";
        if (m.body.is_object() && m.body.size() == 1 && m.body.contains("error")) {
            refusals.insert(m.body.at("error").get<std::string>());
        } else if (m.body != nlohmann::json::parse(expected.body)) {
            return "✗ body " + m.body.dump();
        }
    }
    if (seen != want) return "✗ " + std::to_string(seen.size()) + " of " + std::to_string(want.size()) + " messages";
    if (extra) return "✗ more messages than bound";
    if (!refusals.empty()) {
        if (refusals.size() == 1 && seen.size() == got.size() && std::all_of(got.begin(), got.end(), [](const Got& m) {
                return m.body.contains("error");
            })) {
            return "refused: " + *refusals.begin();
        }
        return "✗ some refused";
    }
    return "✓ " + std::to_string(want.size());
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The table between the matrix markers of docs/amqp.md.
std::string documented_matrix() {
    const std::string doc = read_file(std::string(NOTIFY_SOURCE_DIR) + "/docs/amqp.md");
    const std::string begin = "<!-- compat-matrix: begin -->\n", end = "<!-- compat-matrix: end -->";
    const auto a = doc.find(begin), b = doc.find(end);
    if (a == std::string::npos || b == std::string::npos || b < a) return "(no compat-matrix markers in docs/amqp.md)";
    return doc.substr(a + begin.size(), b - a - begin.size());
}

}  // namespace

TEST_CASE("compatibility matrix: each consumer reads each format on each binding, and nothing is left behind",
          "[amqp][matrix]") {
    const auto& broker = Broker::get();
    const std::string prefix = unique("compat");
    std::map<std::string, std::string> exchange;  // by column slug
    for (const auto& c : columns) {
        exchange[c.slug] = prefix + "-" + c.slug;
        notify::handlers::amqp::ensure_exchange(broker.messaging(), exchange[c.slug]);
    }

    // Every queue is bound before the first event is fired.
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& consumer : consumers) {
        if (consumer == "notify") continue;
        for (const auto& c : columns) {
            for (std::size_t b = 0; b < bindings.size(); ++b) {
                cells.push_back({{"queue", prefix + "." + consumer + "." + c.slug + "." + std::to_string(b)},
                                 {"consumer", consumer},
                                 {"exchange", exchange[c.slug]},
                                 {"binding", binding_for(c, bindings[b])}});
            }
        }
    }
    { PikaConsumer declared({"declare", broker.amqp_port(), cells.dump()}, "compat_consumers.py"); }
    std::map<std::pair<std::string, std::size_t>, std::unique_ptr<Consumer>> own;  // notify's, by (slug, binding)
    for (const auto& c : columns) {
        for (std::size_t b = 0; b < bindings.size(); ++b) {
            own[{c.slug, b}] = std::make_unique<Consumer>(broker.messaging(), exchange[c.slug], binding_for(c, bindings[b]));
        }
    }

    // One notifier per content mode; one listener per column.
    AmqpNotifier binary({{{"#"}, "cloudevents", exchange["ce"]}, {{"#"}, "data", exchange["data"]},
                         {{"#"}, "pulp", exchange["pulp"]}});
    AmqpNotifier structured({{{"#"}, "cloudevents", exchange["ces"]}}, broker.messaging("cloudevents_mode = structured\n"));
    const std::map<std::string, std::string> slug_of{{binary.listener_ids.at(0), "ce"},
                                                     {binary.listener_ids.at(1), "data"},
                                                     {binary.listener_ids.at(2), "pulp"},
                                                     {structured.listener_ids.at(0), "ces"}};
    std::map<std::string, Sent> sent;  // by slug
    for (const auto& e : mixed_events()) {
        for (auto* n : {&binary, &structured}) {
            for (const auto& d : n->notifier->fire(e).deliveries) sent[slug_of.at(d.listener_id)].emplace(d.delivery_id, e);
        }
    }
    REQUIRE(binary.notifier->flush(std::chrono::steady_clock::now() + 30s));
    REQUIRE(structured.notifier->flush(std::chrono::steady_clock::now() + 30s));

    std::map<std::string, std::string> text;  // cell text by "consumer|slug|binding index"
    // The Python consumers.
    for (auto& cell : cells) {
        const auto& c = *std::find_if(columns.begin(), columns.end(), [&](const Column& col) {
            return cell.at("exchange") == exchange[col.slug];
        });
        cell["count"] = selected(c, cell.at("binding"), sent[c.slug]);
    }
    PikaConsumer reader({"read", broker.amqp_port(), cells.dump()}, "compat_consumers.py");
    const auto results = reader.messages();
    REQUIRE(results.size() == 1);
    for (const auto& cell : cells) {
        const auto& result = results[0].at(cell.at("queue").get<std::string>());
        const auto& c = *std::find_if(columns.begin(), columns.end(), [&](const Column& col) {
            return cell.at("exchange") == exchange[col.slug];
        });
        const auto b = static_cast<std::size_t>(
            std::find(bindings.begin(), bindings.end(),
                      c.format == "pulp" && cell.at("binding") != "#"
                          ? cell.at("binding").get<std::string>().substr(std::string("pulp.server.").size())
                          : cell.at("binding").get<std::string>()) -
            bindings.begin());
        const std::string key = cell.at("consumer").get<std::string>() + "|" + c.slug + "|" + std::to_string(b);
        if (result.contains("error")) {
            text[key] = "✗ " + result.at("error").get<std::string>();
            continue;
        }
        std::vector<Got> got;
        for (const auto& m : result.at("messages")) {
            got.push_back({m.at("routing_key"), m.value("content_type", ""), m.value("message_id", ""), m.at("body"),
                           m.at("durable")});
        }
        text[key] = judge(got, result.at("extra"), c, cell.at("binding"), sent[c.slug]);
    }
    // notify's consumer API.
    for (const auto& c : columns) {
        for (std::size_t b = 0; b < bindings.size(); ++b) {
            const auto want = selected(c, binding_for(c, bindings[b]), sent[c.slug]);
            std::vector<Got> got;
            auto& consumer = *own.at({c.slug, b});
            for (long i = 0; i < want; ++i) {
                const auto m = consumer.next(10s);
                if (!m) break;
                nlohmann::json body;
                try {
                    body = nlohmann::json::parse(m->body);
                } catch (const nlohmann::json::exception&) {
                    body = {{"error", "not JSON"}};
                }
                got.push_back({m->subject, m->content_type, m->message_id, body, m->durable});
            }
            const bool extra = consumer.next(200ms).has_value();
            text["notify|" + c.slug + "|" + std::to_string(b)] = judge(got, extra, c, binding_for(c, bindings[b]), sent[c.slug]);
        }
    }
    own.clear();  // notify's consumers delete their queues

    // Nothing is left on the broker: no queue of this test, no binding to its exchanges.
    for (const auto& [slug, name] : exchange) {
        INFO(name);
        CHECK(broker.api("/api/exchanges/%2F/" + name + "/bindings/source").empty());
        broker.api_call("DELETE", "/api/exchanges/%2F/" + name);
        CHECK(broker.api("/api/exchanges/%2F/" + name).is_null());
    }
    for (const auto& q : broker.api("/api/queues/%2F")) {
        CHECK(q.at("name").get<std::string>().rfind(prefix, 0) != 0);
    }

    // The table.
    std::ostringstream table;
    table << "| consumer | binding |";
    for (const auto& c : columns) table << " " << c.title << " |";
    table << "\n|---|---|";
    for (std::size_t i = 0; i < columns.size(); ++i) table << "---|";
    table << "\n";
    for (const auto& consumer : consumers) {
        for (std::size_t b = 0; b < bindings.size(); ++b) {
            table << "| " << consumer << " | `" << bindings[b] << "` |";
            for (const auto& c : columns) table << " " << text.at(consumer + "|" + c.slug + "|" + std::to_string(b)) << " |";
            table << "\n";
        }
    }
    const std::string generated = table.str();
    std::ofstream("compat-matrix.md") << generated;
    for (const auto& [key, value] : text) {
        INFO(key << ": " << value);
        // kombu with accept=['json'] refuses structured CloudEvents (application/cloudevents+json).
        if (key.rfind("kombu|ces|", 0) == 0) {
            CHECK(value == "refused: ContentDisallowed");
        } else {
            CHECK(value.rfind("✓", 0) == 0);
        }
    }
    INFO("the matrix measured now (tests/amqp/compat-matrix.md in the build tree):\n"
         << generated << "differs from the one in docs/amqp.md between the compat-matrix markers");
    CHECK(generated == documented_matrix());
}
