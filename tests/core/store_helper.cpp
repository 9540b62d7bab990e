// Changes listeners from a separate process, for tests of cross-process behaviour.
// Usage: store_helper create STORE PATTERN   (prints the new id)
//        store_helper remove STORE ID
#include <iostream>
#include <string>

#include "notify/core/error.hpp"
#include "notify/core/listener_store.hpp"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: store_helper create|remove STORE PATTERN|ID\n";
        return 2;
    }
    try {
        notify::core::ListenerStore store(argv[2]);
        const std::string verb = argv[1];
        if (verb == "create") {
            notify::core::Listener l;
            l.kind = "test";
            l.event_types.emplace_back(argv[3]);
            std::cout << store.create(l).id << '\n';
        } else if (verb == "remove") {
            store.remove(argv[3]);
        } else {
            std::cerr << "store_helper: unknown verb " << verb << '\n';
            return 2;
        }
    } catch (const notify::Error& e) {
        std::cerr << "store_helper: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
