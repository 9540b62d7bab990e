// A one-line progress display on a terminal; silent when output is piped (internal).
#pragma once

#include <ostream>
#include <string>

namespace notify::cli {

class Progress {
public:
    Progress(std::ostream& err, bool enabled) : err_(err), enabled_(enabled) {}
    ~Progress() { clear(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Replaces the line with `text`.
    void show(const std::string& text) {
        if (!enabled_) return;
        err_ << "\r\033[K" << text << std::flush;
        shown_ = true;
    }
    void clear() {
        if (shown_) err_ << "\r\033[K" << std::flush;
        shown_ = false;
    }

private:
    std::ostream& err_;
    bool enabled_;
    bool shown_ = false;
};

}  // namespace notify::cli
