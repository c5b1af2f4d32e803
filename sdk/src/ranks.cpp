#include "gear/ranks.h"

#include <atomic>

namespace gear {
namespace {
std::atomic<Ranks*> installed{nullptr};
}  // namespace

Ranks::~Ranks() = default;

Ranks* current_ranks() { return installed.load(std::memory_order_acquire); }

void set_current_ranks(Ranks* ranks) { installed.store(ranks, std::memory_order_release); }

}  // namespace gear
