// HandlerRegistry: handler factories registered explicitly by kind.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "notify/core/handler.hpp"

namespace notify::core {

// Thread-safe. Factories are never removed, so references returned stay valid for the
// registry's lifetime. There is no static self-registration: it is silently dropped when
// handlers are linked from static archives, so hosts call each handler's register function.
class HandlerRegistry {
public:
    // Throws notify::ValidationError for an invalid kind or a kind already registered.
    void add(std::unique_ptr<HandlerFactory> factory);

    const HandlerFactory* find(std::string_view kind) const noexcept;
    // Throws notify::NotFound naming the kind and listing the known ones.
    const HandlerFactory& get(std::string_view kind) const;
    // Registered kinds, sorted.
    std::vector<std::string> kinds() const;

private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::unique_ptr<HandlerFactory>, std::less<>> factories_;
};

}  // namespace notify::core
