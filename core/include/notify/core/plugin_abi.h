/* The plugin entry point, in plain C so that a loader can check a library before it
   touches any C++ in it (docs/plugins.md). A plugin exports one function,
   notify_plugin_entry, returning a pointer to a static notify_plugin_info. */
#ifndef NOTIFY_CORE_PLUGIN_ABI_H
#define NOTIFY_CORE_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Raised whenever notify_plugin_info or HandlerFactory changes incompatibly. */
#define NOTIFY_PLUGIN_ABI_VERSION 2u

/* The symbol the loader looks up. */
#define NOTIFY_PLUGIN_ENTRY_SYMBOL "notify_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

struct notify_plugin_info {
    uint32_t abi_version;   /* NOTIFY_PLUGIN_ABI_VERSION of the notify it was built against */
    const char* build_key;  /* the notify version, C++ ABI and standard library it was built with */
    const char* name;       /* the plugin's name, e.g. "file" */
    const char* version;    /* the plugin's own version, e.g. "1.2.0" */
    /* Called only when abi_version and build_key match the loader's: appends the plugin's
       handler factories to `factories`, a std::vector<std::unique_ptr<notify::core::HandlerFactory>>*.
       Returns 0, or non-zero with a one-line reason in `error` (NUL-terminated, at most
       `error_size` bytes). Never lets an exception out. */
    int (*create_factories)(void* factories, char* error, size_t error_size);
};

typedef const struct notify_plugin_info* (*notify_plugin_entry_function)(void);

#ifdef __cplusplus
}
#endif

#endif
