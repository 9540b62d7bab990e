// A third-party handler plugin: kind "file" appends each event, as one JSON line in the
// listener's format, to the file the listener names. Built against the installed notify
// (see CMakeLists.txt) and loaded by the notify tool and `notify serve` at run time.
#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <string>

#include <notify/core/error.hpp>
#include <notify/core/message_format.hpp>
#include <notify/core/plugin.hpp>

namespace {

using namespace notify::core;

class FileHandler : public Handler {
public:
    explicit FileHandler(bool sync) : sync_(sync) {}

    // Thread-safe: one lock around each append, so lines never interleave.
    DeliveryResult deliver(const Delivery& d) noexcept override {
        try {
            const auto message = format_message(*d.event, *d.listener);
            const std::string path = d.listener->settings.at("path");
            const std::string line = message.body + "\n";
            std::lock_guard lock(mutex_);
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd < 0) return DeliveryResult::retry("cannot open " + path);
            const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                                 (!sync_ || ::fsync(fd) == 0);
            ::close(fd);
            return written ? DeliveryResult::delivered(path) : DeliveryResult::retry("cannot write " + path);
        } catch (const std::exception& e) {
            return DeliveryResult::failed(e.what());
        }
    }

    void shutdown(std::chrono::steady_clock::time_point) noexcept override {}

private:
    const bool sync_;
    std::mutex mutex_;
};

class FileFactory : public HandlerFactory {
public:
    std::string_view kind() const noexcept override { return "file"; }
    std::string_view config_section() const noexcept override { return "file"; }
    std::vector<std::string> formats() const override { return all_message_formats(); }

    SectionSpec section_spec() const override {
        return {"file", "The file handler (examples/plugin-file).", {
            {"fsync", ValueType::boolean, "false", "fsync after each event (survives power loss).", false, 0, 0, {}},
        }};
    }

    std::vector<ListenerSetting> listener_settings() const override {
        return {ListenerSetting("--path", "path", "The file each event is appended to (absolute path)").mark_required()};
    }

    void validate(Listener& listener, const nlohmann::json&) const override {
        check_listener_format(kind(), listener.format);
        for (const auto& [key, value] : listener.settings.items()) {
            if (key != "path") throw notify::ValidationError("unknown setting '" + key + "' for a file listener");
            if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>()[0] != '/') {
                throw notify::ValidationError("--path must be an absolute path");
            }
        }
    }

    std::unique_ptr<Handler> create(const HandlerContext& context) const override {
        return std::make_unique<FileHandler>(context.section.value("fsync", false));
    }
};

void add_factories(PluginFactories& factories) { factories.push_back(std::make_unique<FileFactory>()); }

}  // namespace

NOTIFY_PLUGIN(file, PLUGIN_VERSION, add_factories)
