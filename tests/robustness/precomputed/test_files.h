#pragma once

/// @file
/// Writers for the tests of the precomputed-set readers: a scratch folder, .npy files built
/// byte by byte, and JPEGs from libjpeg's own compressor.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gear::plugins {
namespace robustness {
namespace testing {

/// A fresh folder under the system temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& label);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// An .npy file's bytes: magic, `major`.0 version, the length field (2 bytes for 1.0, 4 for
/// 2.0 and 3.0), `dict` padded with spaces and a newline to a multiple of 64 bytes as NumPy
/// pads it, then `data`.
std::vector<uint8_t> npy_bytes(const std::string& dict, const std::vector<uint8_t>& data,
                               int major = 1);

/// The dict NumPy writes for `descr` and `shape` ("(2, 3)", "(5,)", "()").
std::string npy_dict(const std::string& descr, const std::string& shape,
                     bool fortran_order = false);

/// Writes `bytes` to `file`, creating its parent folders.
void write_file(const std::filesystem::path& file, const std::vector<uint8_t>& bytes);

/// Encodes interleaved 8-bit pixels (`components` = 1 grey, 3 RGB, 4 CMYK) as a JPEG.
std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int width, int height,
                                 int components, int quality = 95);

/// Runs `body` and returns the message of the DataError it must throw; records a test failure
/// (and returns "") when it throws none.
std::string data_error(const std::function<void()>& body);

/// A width x height image of one colour, interleaved; `colour` has 1, 3 or 4 values.
std::vector<uint8_t> flat_image(int width, int height, const std::vector<uint8_t>& colour);

}  // namespace testing
}  // namespace robustness
}  // namespace gear::plugins
