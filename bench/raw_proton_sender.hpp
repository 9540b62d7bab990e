// The baselines for the amqp handler: plain Proton C++ senders doing the same confirmed,
// durable sends (one connection, one sender per exchange, as many in flight as the broker's
// credit allows), optionally with a bare SQLite outbox in front of them.
#pragma once

#include <sqlite3.h>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>
#include <proton/target.hpp>
#include <proton/tracker.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace notify::bench {

// The least a durable outbox costs: before each send, one INSERT and one COMMIT of the
// message's row (WAL, synchronous=NORMAL, as notify's store); after the broker accepted,
// the rows are deleted 256 to a commit. All on the sender's thread, nothing else.
class RawOutbox {
public:
    explicit RawOutbox(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("raw outbox: cannot open " + path);
        exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
             "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT,"
             " listener_id TEXT, event TEXT, created_at INTEGER, due_at INTEGER, owner INTEGER)");
        sqlite3_prepare_v2(db_, "INSERT INTO outbox (delivery_id, listener_id, event, created_at, due_at, owner) "
                                "VALUES (?1, 'k7m2x9qa', ?2, 1, 1, 1)", -1, &insert_, nullptr);
        sqlite3_prepare_v2(db_, "DELETE FROM outbox WHERE seq = ?1", -1, &erase_, nullptr);
    }
    ~RawOutbox() {
        sqlite3_finalize(insert_);
        sqlite3_finalize(erase_);
        sqlite3_close(db_);
    }
    RawOutbox(const RawOutbox&) = delete;
    RawOutbox& operator=(const RawOutbox&) = delete;

    std::int64_t store(const std::string& id, const std::string& body) {
        exec("BEGIN IMMEDIATE");
        sqlite3_bind_text(insert_, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert_, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
        if (sqlite3_step(insert_) != SQLITE_DONE) throw std::runtime_error("raw outbox: insert failed");
        sqlite3_reset(insert_);
        exec("COMMIT");
        return sqlite3_last_insert_rowid(db_);
    }
    void accepted(std::int64_t seq, bool last) {
        done_.push_back(seq);
        if (done_.size() < 256 && !last) return;
        exec("BEGIN IMMEDIATE");
        for (const auto s : done_) {
            sqlite3_bind_int64(erase_, 1, s);
            sqlite3_step(erase_);
            sqlite3_reset(erase_);
        }
        exec("COMMIT");
        done_.clear();
    }

private:
    void exec(const char* sql) {
        if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
            throw std::runtime_error(std::string("raw outbox: ") + sqlite3_errmsg(db_));
        }
    }
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
    sqlite3_stmt* erase_ = nullptr;
    std::vector<std::int64_t> done_;
};

class RawSender : public proton::messaging_handler {
public:
    // `url` without credentials: amqp://host:port; the broker's guest account is used.
    // Sends `count` messages to each exchange, through a sender of its own on one
    // connection; with `outbox` (a file path), each through a RawOutbox first.
    RawSender(std::string url, std::vector<std::string> exchanges, std::string subject, std::string body, int count,
              std::string outbox = {})
        : url_(std::move(url)), exchanges_(std::move(exchanges)), subject_(std::move(subject)), body_(std::move(body)),
          count_(count), outbox_path_(std::move(outbox)) {}

    // Sends everything and returns the seconds from the first send to the last acceptance.
    double run() {
        if (!outbox_path_.empty()) outbox_ = std::make_unique<RawOutbox>(outbox_path_);
        proton::container(*this).run();
        outbox_.reset();
        return std::chrono::duration<double>(end_ - start_).count();
    }
    int accepted() const { return accepted_; }

private:
    void on_container_start(proton::container& c) override {
        proton::connection_options o;
        o.user("guest").password("guest").sasl_allow_insecure_mechs(true).sasl_allowed_mechs("PLAIN");
        c.connect(url_, o);
    }
    void on_connection_open(proton::connection& c) override {
        for (const auto& e : exchanges_) c.open_sender("/exchange/" + e);
    }
    void on_sendable(proton::sender& s) override {
        if (!started_) {
            started_ = true;
            start_ = std::chrono::steady_clock::now();
        }
        int& sent = sent_[s.target().address()];
        while (s.credit() > 0 && sent < count_) {
            const std::string id = std::to_string(total_sent_);
            proton::message m;
            m.id(proton::message_id(id));
            m.subject(subject_);
            m.content_type("application/cloudevents+json");
            m.body(proton::binary(body_.begin(), body_.end()));
            m.inferred(true);
            m.durable(true);
            const std::int64_t seq = outbox_ ? outbox_->store(id, body_) : 0;
            seqs_[s.send(m)] = seq;
            ++sent;
            ++total_sent_;
        }
    }
    void on_tracker_accept(proton::tracker& t) override {
        const bool last = ++accepted_ == count_ * static_cast<int>(exchanges_.size());
        if (outbox_) {
            const auto it = seqs_.find(t);
            outbox_->accepted(it->second, last);
            seqs_.erase(it);
        }
        if (last) {
            end_ = std::chrono::steady_clock::now();
            t.connection().close();
        }
    }
    void on_tracker_reject(proton::tracker& t) override { t.connection().close(); }

    std::string url_;
    std::vector<std::string> exchanges_;
    std::string subject_, body_;
    int count_;
    std::string outbox_path_;
    std::unique_ptr<RawOutbox> outbox_;
    std::map<std::string, int> sent_;  // by the sender's target address
    std::map<proton::tracker, std::int64_t> seqs_;
    int total_sent_ = 0;
    int accepted_ = 0;
    bool started_ = false;
    std::chrono::steady_clock::time_point start_, end_;
};

}  // namespace notify::bench
