// notify delivery list | retry | purge: the outbox and its dead letters.
#include <iomanip>
#include <limits>

#include "commands.hpp"
#include "notify/core/error.hpp"
#include "notify/core/text.hpp"
#include "notify/core/timestamp.hpp"

namespace notify::cli {

namespace {

nlohmann::json as_json(const core::DeliveryRecord& r) {
    nlohmann::json j = {{"delivery_id", r.delivery_id}, {"listener_id", r.listener_id},
                        {"state", r.dead_at ? "dead" : "pending"}, {"attempts", r.attempts},
                        {"last_error", r.last_error}, {"created", core::format_rfc3339(r.created)},
                        {"due", core::format_rfc3339(r.due)}, {"event", r.event}};
    if (r.dead_at) j["dead_at"] = core::format_rfc3339(*r.dead_at);
    return j;
}

// A last error for the table: whole up to 100 bytes, else cut on a character boundary with
// "..." (`--json` shows it whole).
std::string shortened(const std::string& error) {
    constexpr std::size_t limit = 100;
    if (error.size() <= limit) return error;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80) --cut;
    return error.substr(0, cut) + "...";
}

void print_table(std::ostream& out, const std::vector<core::DeliveryRecord>& records) {
    if (records.empty()) {
        out << "No deliveries.\n";
        return;
    }
    out << std::left << std::setw(38) << "DELIVERY ID" << std::setw(10) << "LISTENER" << std::setw(9) << "STATE"
        << std::setw(9) << "ATTEMPTS" << std::setw(26) << "EVENT TYPE" << "LAST ERROR" << '\n';
    for (const auto& r : records) {
        out << std::left << std::setw(38) << r.delivery_id << std::setw(10) << r.listener_id << std::setw(9)
            << (r.dead_at ? "dead" : "pending") << std::setw(9) << r.attempts << std::setw(26)
            << r.event.value("type", std::string()) << shortened(r.last_error) << '\n';
    }
}

}  // namespace

void add_delivery_commands(CLI::App& app, Context& context, Action& action) {
    auto* delivery = app.add_subcommand("delivery", "Pending deliveries and dead letters");
    delivery->require_subcommand(1);

    auto state = std::make_shared<std::string>();
    auto listener = std::make_shared<std::string>();
    auto limit = std::make_shared<std::size_t>(1000);
    auto* list = delivery->add_subcommand("list", "List pending deliveries and dead letters");
    list->add_option("--state", *state, "Only pending or only dead")->check(CLI::IsMember({"pending", "dead"}));
    list->add_option("--listener", *listener, "Only the deliveries of this listener id");
    list->add_option("--limit", *limit, "Show at most N of each state (default 1000; 0 = all)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{100'000'000}));
    list->callback([&context, &action, state, listener, limit] {
        action = [&context, state, listener, limit] {
            auto notifier = context.notifier(false);
            if (!listener->empty()) (void)notifier->listeners().get(*listener);  // NotFound: exit 2, naming it
            const std::size_t most = *limit == 0 ? std::numeric_limits<std::size_t>::max() : *limit;
            std::vector<core::DeliveryRecord> records;
            std::uint64_t pending = 0;
            std::uint64_t dead = 0;
            for (const auto& s : notifier->stats()) {
                if (!listener->empty() && s.listener_id != *listener) continue;
                pending += s.pending + s.in_flight;
                dead += s.dead;
            }
            std::uint64_t total = 0;
            if (*state != "dead") {
                records = notifier->pending(most, *listener);
                total += pending;
            }
            if (*state != "pending") {
                for (auto& r : notifier->dead_letters(most, *listener)) records.push_back(std::move(r));
                total += dead;
            }
            // The counts and the rows are two reads: deliveries may finish in between.
            if (total > records.size()) {
                context.warn("showing " + std::to_string(records.size()) + " of " + std::to_string(total) +
                             " deliveries; " + std::to_string(total - records.size()) +
                             " more not shown (use --limit N, or --limit 0 for all)");
            }
            if (context.json) {
                nlohmann::json all = nlohmann::json::array();
                for (const auto& r : records) all.push_back(as_json(r));
                context.print_json(all);
            } else {
                print_table(context.out, records);
            }
            return exit_ok;
        };
    });

    auto id = std::make_shared<std::string>();
    auto all_dead = std::make_shared<bool>(false);
    auto* retry = delivery->add_subcommand("retry", "Make dead letters pending again (attempts reset)");
    auto* id_option = retry->add_option("id", *id, "The dead letter's delivery id");
    auto* all_option = retry->add_flag("--all-dead", *all_dead, "Every dead letter");
    id_option->excludes(all_option);
    retry->callback([&context, &action, id, all_dead] {
        action = [&context, id, all_dead] {
            if (id->empty() && !*all_dead) throw ValidationError("delivery retry needs a delivery id or --all-dead");
            auto notifier = context.notifier(false);
            const auto count = *all_dead ? notifier->retry_all_dead() : notifier->retry_dead(*id);
            if (!*all_dead && count == 0) throw NotFound("no dead letter with delivery id " + core::quote_text(*id));
            if (context.json) {
                context.print_json({{"retried", count}});
            } else {
                context.out << "Retrying " << count << (count == 1 ? " delivery" : " deliveries")
                            << "; `notify serve` (or a host application) delivers them.\n";
            }
            return exit_ok;
        };
    });

    auto dead = std::make_shared<bool>(false);
    auto* purge = delivery->add_subcommand("purge", "Delete dead letters");
    purge->add_flag("--dead", *dead, "Delete every dead letter")->required();
    // The flag's storage must live as long as the parser: the callback keeps it.
    purge->callback([&context, &action, dead] {
        action = [&context, dead] {
            const auto count = context.notifier(false)->purge_dead();
            if (context.json) {
                context.print_json({{"purged", count}});
            } else {
                context.out << "Purged " << count << (count == 1 ? " dead letter" : " dead letters") << ".\n";
            }
            return exit_ok;
        };
    });
}

}  // namespace notify::cli
