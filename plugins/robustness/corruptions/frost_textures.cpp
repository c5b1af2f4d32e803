#include "frost_textures.h"

#include <torch/torch.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace gear::plugins::corruptions {

// Generated from assets/frost.bin.gz by CMake (frost_blob.cpp in the build folder).
extern const unsigned char kFrostBlob[];
extern const std::size_t kFrostBlobSize;

namespace {

std::vector<uint8_t> gunzip(const unsigned char* data, std::size_t size) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("frost textures: zlib init failed");
  stream.next_in = const_cast<unsigned char*>(data);
  stream.avail_in = static_cast<uInt>(size);
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = buffer;
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&stream);
      throw std::runtime_error("frost textures: embedded data is damaged");
    }
    out.insert(out.end(), buffer, buffer + (sizeof(buffer) - stream.avail_out));
  }
  inflateEnd(&stream);
  return out;
}

std::map<int, std::vector<torch::Tensor>> decode() {
  const std::vector<uint8_t> bytes = gunzip(kFrostBlob, kFrostBlobSize);
  std::map<int, std::vector<torch::Tensor>> textures;
  std::size_t at = 0;
  while (at + 12 <= bytes.size()) {
    uint32_t header[3];
    std::memcpy(header, bytes.data() + at, sizeof(header));
    at += sizeof(header);
    const std::size_t size = std::size_t{header[1]} * header[2] * 3;
    if (at + size > bytes.size()) throw std::runtime_error("frost textures: truncated data");
    torch::Tensor hwc = torch::from_blob(const_cast<uint8_t*>(bytes.data() + at),
                                         {header[1], header[2], 3}, torch::kUInt8);
    textures[static_cast<int>(header[0])].push_back(hwc.permute({2, 0, 1}).contiguous());
    at += size;
  }
  return textures;
}

}  // namespace

const std::vector<torch::Tensor>& frost_textures(int scale_percent) {
  static std::once_flag once;
  static std::map<int, std::vector<torch::Tensor>> textures;
  std::call_once(once, [] { textures = decode(); });
  auto it = textures.find(scale_percent);
  if (it == textures.end() || it->second.empty())
    throw std::runtime_error("frost textures: none at scale " + std::to_string(scale_percent));
  return it->second;
}

}  // namespace gear::plugins::corruptions
