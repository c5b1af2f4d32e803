#pragma once

/// @file
/// Toolchain fingerprint: the facts that must match between the host and a plugin for C++
/// objects (std::string, torch::Tensor, torch::nn::Module) to cross the boundary safely.

#include <cstddef>  // defines _GLIBCXX_USE_CXX11_ABI

#include <torch/version.h>

#define GEAR_STRINGIFY_IMPL(x) #x
#define GEAR_STRINGIFY(x) GEAR_STRINGIFY_IMPL(x)

#if defined(__clang__)
#define GEAR_COMPILER_ID "clang-" GEAR_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define GEAR_COMPILER_ID "gcc-" GEAR_STRINGIFY(__GNUC__)
#else
#define GEAR_COMPILER_ID "unknown"
#endif

#ifndef GEAR_WITH_CUDA
#define GEAR_WITH_CUDA 0
#endif

/// Evaluated in the translation unit that includes it, so a plugin embeds its own build's facts.
#define GEAR_TOOLCHAIN_FINGERPRINT                                                       \
  GEAR_COMPILER_ID ";gxxabi=" GEAR_STRINGIFY(__GXX_ABI_VERSION) ";cxx11abi=" GEAR_STRINGIFY( \
      _GLIBCXX_USE_CXX11_ABI) ";torch=" GEAR_STRINGIFY(TORCH_VERSION_MAJOR) "." GEAR_STRINGIFY(  \
      TORCH_VERSION_MINOR) ";cuda=" GEAR_STRINGIFY(GEAR_WITH_CUDA)
