// Loading handler plugins with dlopen, checking them before any of their C++ runs.
#include "notify/core/plugin_loader.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "notify/core/plugin.hpp"
#include "notify/core/text.hpp"

namespace notify::core {

namespace {

// dlerror() names the file first ("/x/y.so: undefined symbol: z"); keep what follows.
std::string load_error(const std::filesystem::path& path) {
    const char* text = dlerror();
    std::string message = text != nullptr ? text : "unknown error";
    const std::string prefix = path.string() + ": ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    return "cannot be loaded: " + escape_controls(message);
}

// A file or folder others may write would let them run code inside notify.
std::string writable_by_others(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return {};
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) == 0) return {};
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return "writable by others (mode " + std::string(mode) + "), so anyone could put code into notify; chmod go-w " +
           path.string();
}

std::string text_or(const char* text, const char* fallback) {
    return text != nullptr ? escape_controls(text) : std::string(fallback);
}

}  // namespace

PluginLoader::PluginLoader(HandlerRegistry& registry, LogFunction log)
    : registry_(registry), log_(log ? std::move(log) : LogFunction(log_to_stderr)) {}

void PluginLoader::load_folder(const std::filesystem::path& folder, bool must_exist) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        if (must_exist) skip(folder, "not a folder");
        return;
    }
    if (const auto unsafe = writable_by_others(folder); !unsafe.empty()) {
        skip(folder, unsafe);
        return;
    }
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".so" && it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) {
        skip(folder, "cannot be read: " + ec.message());
        return;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) load_file(file);
}

bool PluginLoader::load_file(const std::filesystem::path& file) {
    std::error_code ec;
    const auto path = std::filesystem::weakly_canonical(file, ec);
    const auto& where = ec ? file : path;
    for (const auto& p : loaded_) {
        if (p.path == where) return true;  // loaded already (a folder named twice)
    }
    if (const auto unsafe = writable_by_others(where); !unsafe.empty()) return skip(where, unsafe);
    // RTLD_NOW: a missing symbol is found here, not in the middle of a delivery.
    // RTLD_LOCAL: one plugin's symbols never satisfy another's.
    void* library = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return skip(where, load_error(where));
    dlerror();
    void* symbol = dlsym(library, NOTIFY_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) {
        dlclose(library);
        return skip(where, "not a notify plugin (it has no " NOTIFY_PLUGIN_ENTRY_SYMBOL ")");
    }
    notify_plugin_entry_function entry;
    static_assert(sizeof(entry) == sizeof(symbol));
    std::memcpy(&entry, &symbol, sizeof(entry));
    const bool added = add(entry(), where);
    // A library that was refused has run no C++ of its plugin and is unloaded; one that was
    // added stays loaded for good.
    if (!added) dlclose(library);
    return added;
}

bool PluginLoader::add_linked(notify_plugin_entry_function entry) { return add(entry(), {}); }

bool PluginLoader::add(const notify_plugin_info* info, const std::filesystem::path& path) {
    if (info == nullptr) return skip(path, "its entry point returned no plugin description");
    if (info->abi_version != NOTIFY_PLUGIN_ABI_VERSION) {
        return skip(path, "built for plugin ABI " + std::to_string(info->abi_version) + ", this notify has ABI " +
                              std::to_string(NOTIFY_PLUGIN_ABI_VERSION) + "; rebuild it against this notify");
    }
    const std::string key = text_or(info->build_key, "(none)");
    if (key != plugin_build_key()) {
        return skip(path, "built for '" + key + "', this notify is '" + plugin_build_key() +
                              "'; rebuild it against this notify");
    }
    const std::string name = text_or(info->name, "");
    if (name.empty()) return skip(path, "its description has no name");
    for (const auto& p : loaded_) {
        if (p.name == name) {
            return skip(path, "plugin '" + name + "' is loaded already from " +
                                  (p.path.empty() ? std::string("the program") : p.path.string()));
        }
    }
    if (info->create_factories == nullptr) return skip(path, "its description has no factories");
    PluginFactories factories;
    char error[512] = {};
    if (info->create_factories(&factories, error, sizeof error) != 0) {
        return skip(path, "failed to start: " + escape_controls(error));
    }
    std::vector<std::string> kinds;
    std::set<std::string, std::less<>> seen;
    try {
        for (const auto& factory : factories) {
            if (!factory) return skip(path, "it gave an empty handler factory");
            const std::string kind(factory->kind());
            validate_handler_kind(kind);
            if (registry_.find(kind) != nullptr || !seen.insert(kind).second) {
                std::string owner = "another plugin";
                for (const auto& p : loaded_) {
                    if (std::find(p.kinds.begin(), p.kinds.end(), kind) != p.kinds.end()) {
                        owner = "plugin '" + p.name + "'" + (p.path.empty() ? "" : " (" + p.path.string() + ")");
                    }
                }
                if (seen.count(kind) != 0 && registry_.find(kind) == nullptr) owner = "itself";
                return skip(path, "handler kind '" + kind + "' is registered already by " + owner);
            }
            (void)factory->section_spec();
            (void)factory->listener_settings();
            (void)factory->formats();
            kinds.push_back(kind);
        }
    } catch (const std::exception& e) {
        return skip(path, std::string("its handler description failed: ") + escape_controls(e.what()));
    }
    if (kinds.empty()) return skip(path, "it brings no handler kind");
    for (auto& factory : factories) registry_.add(std::move(factory));
    loaded_.push_back({name, text_or(info->version, ""), path, kinds});
    return true;
}

bool PluginLoader::skip(const std::filesystem::path& path, std::string reason) {
    log_(LogLevel::warning, "plugin " + path.string() + " skipped: " + reason);
    skipped_.push_back({path, std::move(reason)});
    return false;
}

const char* plugin_build_key() noexcept { return NOTIFY_PLUGIN_BUILD_KEY; }

std::filesystem::path installed_plugin_folder() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<const void*>(&installed_plugin_folder), &info) == 0 || info.dli_fname == nullptr) {
        return {};
    }
    std::error_code ec;
    const auto library = std::filesystem::canonical(info.dli_fname, ec);
    if (ec || library.filename().string().rfind("libnotify_core", 0) != 0) return {};
    return library.parent_path() / "notify" / "plugins";
}

}  // namespace notify::core
