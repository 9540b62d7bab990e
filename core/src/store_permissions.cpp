// Store folder and file modes: created private, refused when others can write them.
#include "store_permissions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>

#include "notify/core/error.hpp"

namespace notify::core::store_permissions {

namespace {

constexpr mode_t others_write = S_IWGRP | S_IWOTH;
constexpr mode_t others_read = S_IRGRP | S_IROTH;

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

// mkdir, then chmod: mkdir's mode is cut by the umask, which may also be too loose (000).
void make_private_folder(const std::filesystem::path& folder) {
    if (::mkdir(folder.c_str(), 0700) != 0) {
        if (errno == EEXIST) return;
        throw StoreError(folder.string() + ": cannot create the store folder: " + std::strerror(errno));
    }
    if (::chmod(folder.c_str(), 0700) != 0) {
        throw StoreError(folder.string() + ": cannot make the store folder private: " + std::strerror(errno));
    }
}

void warn_once(const std::string& file, const std::string& message, const LogFunction& log) {
    static std::mutex mutex;
    static std::set<std::string> warned;
    {
        std::lock_guard lock(mutex);
        if (!warned.insert(file).second) return;
    }
    if (!log) return;
    try {
        log(LogLevel::warning, message);
    } catch (...) {
    }
}

}  // namespace

bool create(const std::filesystem::path& store) {
    const auto absolute = std::filesystem::absolute(store);
    std::vector<std::filesystem::path> missing;
    for (auto folder = absolute.parent_path(); !folder.empty(); folder = folder.parent_path()) {
        std::error_code ec;
        if (std::filesystem::exists(folder, ec) || folder == folder.root_path()) break;
        missing.push_back(folder);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) make_private_folder(*it);

    const int fd = ::open(store.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return false;
        throw StoreError(store.string() + ": cannot create the store: " + std::strerror(errno));
    }
    const bool ok = ::fchmod(fd, 0600) == 0;
    const int error = errno;
    ::close(fd);
    if (!ok) throw StoreError(store.string() + ": cannot make the store private: " + std::strerror(error));
    return true;
}

void check(const std::filesystem::path& store, const LogFunction& log) {
    struct stat st {};
    const auto folder = std::filesystem::absolute(store).parent_path();
    if (::stat(folder.c_str(), &st) == 0 && (st.st_mode & others_write) != 0) {
        throw StoreUnusable(folder.string() + ": other users can write to the store folder (mode " + octal(st.st_mode) +
                            "), so they could replace the store; make it private: chmod 700 " + folder.string());
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string file = store.string() + suffix;
        if (::stat(file.c_str(), &st) != 0) continue;
        if ((st.st_mode & others_write) != 0) {
            throw StoreUnusable(file + ": other users can write to the store (mode " + octal(st.st_mode) +
                                "); make it private: chmod 600 " + store.string() + "*");
        }
        if ((st.st_mode & others_read) != 0) {
            warn_once(file,
                      file + ": other users can read the store, which holds listener secrets (mode " +
                          octal(st.st_mode) + "); make it private: chmod 600 " + store.string() + "*",
                      log);
        }
    }
}

}  // namespace notify::core::store_permissions
