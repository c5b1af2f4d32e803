#pragma once

/// @file
/// The decoded-tensor cache of the image-file datasets: decoding 100 000 JPEGs takes a while, so
/// the decoded uint8 tensors are kept in one file per distinct input, and later runs read that
/// file instead.
///
/// Location: <cache_dir>/decoded/<dataset>-<16 hex digits>.bin; cache_dir defaults to
/// $XDG_CACHE_HOME/gear, else $HOME/.cache/gear. The hex digits are a hash of the key: the dataset
/// name, every option that changes the decoded result, and for each split each file's path
/// relative to the dataset folder, its size, modification time (ns) and label. Changing, adding,
/// removing or touching a file therefore makes a new key; old files are never deleted.
///
/// File format (version 2; integers and doubles in the writer's byte order, checked by a mark):
///
///     char[8]  "GEARDSET"          magic
///     uint32   2                   format version
///     uint32   0x01020304          byte-order mark
///     uint64   key hash A, key hash B   (A names the file; both must match)
///     uint32   class count, then per class: uint32 byte length, UTF-8 bytes
///     uint32   statistics count S, then S doubles mean, S doubles std ([0, 1] units)
///     uint32   split count, then per split: int64 N, C, H, W
///     uint32   CRC-32 (zlib) of the payload
///     payload: per split, N*C*H*W image bytes (NCHW) then N int64 labels
///
/// Files are written to a temporary name in the same folder and renamed, so a reader never sees
/// a partial file. A file is used only when every field checks out: magic, version, byte order,
/// both key hashes, the class names, the split count, each split's N and labels against the
/// listing, the image shape where the caller knows it, the exact file size and the checksum.
/// Anything else (truncated, damaged, another version, another dataset) is ignored and
/// overwritten by a fresh decode.

#include <gear/dataset.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image_files.h"

namespace gear::plugins::datasets {

/// What a cache file holds.
struct CachedDataset {
  std::vector<std::string> class_names;
  /// Per-channel normalisation statistics of the training split; may be empty.
  std::vector<double> mean, std;
  std::vector<DataSplit> splits;
};

/// $XDG_CACHE_HOME/gear when set, else $HOME/.cache/gear (else /tmp/gear-cache).
std::filesystem::path default_cache_dir();

class DecodedCache {
 public:
  static constexpr uint32_t kFormatVersion = 2;

  /// `dir`: the cache_dir option (empty: default_cache_dir()). `dataset` names the file;
  /// `settings` spells every option that changes the decoded result; `root` is the folder that
  /// the files' keyed paths are relative to. Reads each file's size and modification time.
  DecodedCache(std::filesystem::path dir, const std::string& dataset,
               const std::filesystem::path& root, const std::vector<LabelledFiles>& splits,
               const std::string& settings);

  /// The cached contents, or nothing when the file is absent or fails any check (see the file
  /// comment). `image_shape` [C, H, W]: the shape the images must have, 0 where not known.
  std::optional<CachedDataset> read(const std::vector<std::string>& class_names,
                                    const std::vector<int64_t>& image_shape) const;

  /// Writes `contents` atomically. Returns false, leaving nothing behind, when the folder or
  /// the file cannot be written: a missing cache only costs the next run a decode.
  bool write(const CachedDataset& contents) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  uint64_t key_a_ = 0, key_b_ = 0;
  /// Each split's labels, as listed: a cache file must hold exactly these.
  std::vector<std::vector<int64_t>> labels_;
};

}  // namespace gear::plugins::datasets
