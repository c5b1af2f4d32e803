#pragma once

// What the dataset and corruption-set fuzz targets share beyond fuzz_support.h: a dataset's
// options as a pipeline would give them, one decoding thread (a fuzzer runs on one core, and
// at::parallel_for must not hide which input a failure came from), and a stricter rule: a reader
// refuses bad files with a DataError. Any other exception (std::out_of_range, c10::Error,
// std::bad_alloc) means the reader missed a check, so it is reported as a finding.

#include <ATen/Parallel.h>
#include <gear/config.h>
#include <gear/dataset.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace gear::fuzz {

/// Every option of `schema` at its default, then `values` as if written in the pipeline.
inline Config dataset_options(const OptionSchema& schema,
                              const std::vector<std::pair<std::string, Value>>& values) {
  Config config("data", {});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  for (const auto& [name, value] : values) config.set(name, value, {"fuzz", 1, 1}, true);
  return config;
}

/// For LLVMFuzzerInitialize: decode on the calling thread.
inline void single_threaded() { at::set_num_threads(1); }

/// Runs `read`; a DataError is the refusal bad input must get, anything else aborts (a finding).
template <typename Read>
void refuse_with_data_error(Read&& read) {
  try {
    read();
  } catch (const DataError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gear fuzz: a reader threw something other than DataError: %s\n",
                 e.what());
    std::abort();
  }
}

}  // namespace gear::fuzz
