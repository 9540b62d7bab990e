// Writing a plugin: NOTIFY_PLUGIN(name, version, function) in one source file of a shared
// library exports its entry point (docs/plugins.md). `function` is
// `void f(notify::core::PluginFactories&)`; it adds one HandlerFactory per kind it brings
// and may throw (the entry point turns an exception into a refusal of the plugin).
#pragma once

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "notify/core/handler.hpp"
#include "notify/core/plugin_abi.h"
#include "notify/core/version.hpp"

namespace notify::core {

using PluginFactories = std::vector<std::unique_ptr<HandlerFactory>>;

// What a plugin must share with the notify that loads it, besides NOTIFY_PLUGIN_ABI_VERSION:
// notify's major.minor version, the C++ ABI (GCC and clang share the Itanium one) and the
// standard library's string ABI. A plugin is loaded only when its key is the loader's.
#if defined(__GXX_ABI_VERSION)
#define NOTIFY_PLUGIN_CXX_ABI "itanium-c++"
#else
#define NOTIFY_PLUGIN_CXX_ABI "other-c++"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define NOTIFY_PLUGIN_STDLIB "libstdc++-cxx11"
#elif defined(__GLIBCXX__)
#define NOTIFY_PLUGIN_STDLIB "libstdc++-old"
#elif defined(_LIBCPP_VERSION)
#define NOTIFY_PLUGIN_STDLIB "libc++"
#else
#define NOTIFY_PLUGIN_STDLIB "other-stdlib"
#endif
#if defined(_GLIBCXX_DEBUG)
#define NOTIFY_PLUGIN_DEBUG_CONTAINERS "; debug-containers"
#else
#define NOTIFY_PLUGIN_DEBUG_CONTAINERS ""
#endif
#define NOTIFY_PLUGIN_BUILD_KEY                                                                   \
    "notify " NOTIFY_VERSION_MAJOR_MINOR "; " NOTIFY_PLUGIN_CXX_ABI "; " NOTIFY_PLUGIN_STDLIB \
        NOTIFY_PLUGIN_DEBUG_CONTAINERS

namespace detail {
// Runs `add` for the entry point: exceptions become a message, never cross into C.
template <typename Add>
int create_plugin_factories(Add add, void* factories, char* error, std::size_t error_size) noexcept {
    const auto fail = [&](const char* what) {
        if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", what);
        return 1;
    };
    try {
        add(*static_cast<PluginFactories*>(factories));
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    } catch (...) {
        return fail("an unknown exception");
    }
}
}  // namespace detail

}  // namespace notify::core

// Exports the plugin entry point: notify_plugin_entry_<ident> always, and
// notify_plugin_entry (what the loader looks up) unless NOTIFY_PLUGIN_LINKED is defined,
// for a plugin linked into a program with others (static builds). `ident` is the plugin's
// name, a C identifier. Use once per shared library, at namespace scope.
#ifdef NOTIFY_PLUGIN_LINKED
#define NOTIFY_PLUGIN_LOADER_ENTRY(ident)
#else
#define NOTIFY_PLUGIN_LOADER_ENTRY(ident)                                                                     \
    extern "C" __attribute__((visibility("default"))) const notify_plugin_info* notify_plugin_entry(void) { \
        return notify_plugin_entry_##ident();                                                               \
    }
#endif
#define NOTIFY_PLUGIN(ident, plugin_version, add_factories)                                                     \
    extern "C" __attribute__((visibility("default"))) const notify_plugin_info* notify_plugin_entry_##ident(void) { \
        static const notify_plugin_info info{                                                                   \
            NOTIFY_PLUGIN_ABI_VERSION, NOTIFY_PLUGIN_BUILD_KEY, #ident, plugin_version,                         \
            [](void* factories, char* error, std::size_t error_size) noexcept {                                \
                return ::notify::core::detail::create_plugin_factories(add_factories, factories, error,         \
                                                                        error_size);                            \
            }};                                                                                                 \
        return &info;                                                                                           \
    }                                                                                                           \
    NOTIFY_PLUGIN_LOADER_ENTRY(ident)
