#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace gear::host {

/// Checks, before LibTorch reads the checkpoint at `path`, that no length recorded in it claims
/// more bytes than the file holds: neither an entry's size in the zip's central directory nor a
/// string's or a byte array's length inside a pickle record (`*.pkl`, stored uncompressed).
/// LibTorch 1.13 allocates what such a length claims before it reads, so a corrupt file with a
/// few flipped bytes would otherwise ask for gigabytes and get an edge device's process killed
/// instead of refused. A file that is not a zip at all passes, for LibTorch to reject in its own
/// words. Throws std::runtime_error naming the record, the offset and the claimed length; the
/// caller adds the file's name.
void check_archive_bounds(const std::filesystem::path& path);

/// The pickle part of check_archive_bounds: walks the opcodes of `pickle` (borrowed for the call)
/// up to STOP or an opcode LibTorch does not read either, and throws std::runtime_error naming
/// `record` and the opcode's offset when an argument, a length-prefixed string or a line runs
/// past the end.
void check_pickle_bounds(std::string_view pickle, const std::string& record);

}  // namespace gear::host
