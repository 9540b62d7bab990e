// RouteTable insertion and growth.
#include "route_table.hpp"

namespace notify::core::detail {

const Route& RouteTable::insert(std::string_view type, std::size_t hash,
                                std::unique_ptr<FastSignal> signal) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = hash & mask_;
    while (!slots_[i].type.empty()) i = (i + 1) & mask_;
    slots_[i] = Route{std::string(type), hash, std::move(signal)};
    ++size_;
    return slots_[i];
}

const Route* RouteTable::find(std::string_view type, std::size_t hash) const noexcept {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
        const Route& r = slots_[i];
        if (r.is(type, hash)) return &r;
        if (r.type.empty()) return nullptr;
    }
}

void RouteTable::grow() {
    std::vector<Route> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (Route& r : old) {
        if (r.type.empty()) continue;
        std::size_t i = r.hash & mask_;
        while (!slots_[i].type.empty()) i = (i + 1) & mask_;
        slots_[i] = std::move(r);
    }
}

}  // namespace notify::core::detail
