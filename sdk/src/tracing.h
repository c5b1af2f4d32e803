#pragma once

// Whether LibTorch's tracer (torch.jit.trace, also from Python) is recording this thread's ops.
// GEAR's own kernels write through raw pointers, which a trace cannot see: while tracing, the
// SDK's layers run torch's own ops, so the exported graph computes what the net computes.

#include <torch/csrc/jit/frontend/tracer.h>

namespace gear::detail {

inline bool tracing() { return torch::jit::tracer::isTracing(); }

}  // namespace gear::detail
