#pragma once

#include <string>

namespace gear::host {

/// How the process's C allocator (glibc malloc, which LibTorch's CPU allocator calls) treats
/// memory a training step frees.
///
/// "retain": freed memory stays in the process (glibc's mmap threshold raised to 1 GiB, as
/// Debian 12's glibc 2.36 allows, or 32 MiB where an older glibc refuses that; heap trimming off),
/// so every step's activations and gradients reuse pages that are already mapped. With glibc's
/// defaults a tensor above 32 MiB (a batch of 128 32x32 maps with 64 channels) is mapped afresh
/// and faulted in page by page every time it is allocated: ten times slower in
/// tests/unit/cpu_allocator_test.cpp, and the Python baseline of bench/train_throughput.py, whose
/// heap is also busy with Python objects, takes ~50 page faults per training image. The cost is
/// that the process keeps its peak heap until it exits.
/// "system": leaves the C library's settings as they are.
///
/// Process-wide and idempotent. glibc cannot return to its self-adjusting defaults, so once a
/// run in this process retained, later "system" runs (gear.run from Python) retain too. Returns
/// a description for the log, or throws std::invalid_argument for an unknown mode. Without glibc
/// both modes leave the allocator as it is and say so.
std::string configure_cpu_allocator(const std::string& mode);

/// Page faults the process has taken so far that needed no disk read (getrusage's ru_minflt): the
/// cost "retain" removes.
long minor_page_faults();

}  // namespace gear::host
