#pragma once

// The data-parallel calls that GrowthContext and PruningContext share (for_each_shard,
// sum_across_ranks), bound once for both Python context classes.

#include <cstdint>
#include <vector>

#include "bindings.h"

namespace gear::python {

/// `handle` with for_each_shard and sum_across_ranks added. Handle::live() returns the borrowed
/// context (GrowthContext or PruningContext) for the one call it is lent to.
template <class Handle>
py::class_<Handle> with_shard_calls(py::class_<Handle> handle) {
  handle
      .def(
          "for_each_shard",
          [](const Handle& h, const py::function& step, int64_t max_batches) {
            auto& context = h.live();
            py::gil_scoped_release release;
            context.for_each_shard(
                [&](const torch::Tensor& images, const torch::Tensor& labels, double share) {
                  py::gil_scoped_acquire gil;
                  step(images, labels, share);
                },
                max_batches);
          },
          py::arg("step"), py::arg("max_batches") = 0,
          "for_each_batch for several ranks: step(images, labels, share) gets this rank's share "
          "of every batch and its fraction of the batch (1.0 in one process). Weight a mean loss "
          "by share (a sum over samples needs none) and add the results over the ranks with "
          "sum_across_ranks.")
      .def(
          "sum_across_ranks",
          [](const Handle& h, const std::vector<torch::Tensor>& tensors) {
            auto& context = h.live();
            py::gil_scoped_release release;
            context.sum_across_ranks(tensors);
          },
          py::arg("tensors"),
          "Replaces each tensor by its sum over the ranks, in place (nothing in one process). "
          "Every rank must call it alike.");
  return handle;
}

}  // namespace gear::python
