#pragma once

// How many times a block of code ran an op of a given name, as LibTorch's RecordFunction reports
// it on this thread: which path a layer took (GEAR's own kernel, or torch's op).

#include <ATen/record_function.h>

#include <string>

namespace gear::test {

namespace detail {
inline thread_local const char* counted_name = nullptr;
inline thread_local int counted_calls = 0;
}  // namespace detail

/// Calls `f` (borrowed for the call) and returns how many ops named `name` (for example
/// "aten::batch_norm", "gear::conv2d") it ran on this thread. Not reentrant.
template <typename F>
int op_calls(const char* name, const F& f) {
  detail::counted_name = name;
  detail::counted_calls = 0;
  auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(
      [](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
        if (std::string(fn.name()) == detail::counted_name) ++detail::counted_calls;
        return nullptr;
      }));
  f();
  at::removeCallback(handle);
  return detail::counted_calls;
}

}  // namespace gear::test
