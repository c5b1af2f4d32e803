#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gear/growable_net.h"

namespace gear::python {

/// What Python holds as a gear.Net: the net, and what is known about its input. Nets created in
/// Python own their module; the net a growth strategy receives is borrowed from the host for the
/// call to grow().
struct NetHandle {
  std::shared_ptr<GrowableNet> net;
  /// One sample's shape [C, H, W]; empty when unknown.
  std::vector<int64_t> input_shape;
  std::string architecture;
};

}  // namespace gear::python
