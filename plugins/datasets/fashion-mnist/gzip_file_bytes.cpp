#include "gzip_file_bytes.h"

#include <gear/dataset.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace gear::plugins::datasets {
namespace {

constexpr uint8_t kGzipMagic0 = 0x1f;
constexpr uint8_t kGzipMagic1 = 0x8b;
// Tells zlib to expect a gzip wrapper (not raw deflate or zlib).
constexpr int kGzipWindowBits = 16 + MAX_WBITS;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw DataError(path + ": " + what);
}

std::string hex_byte(uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", b);
  return text;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<uint8_t> read_raw(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes;
  if (std::fseek(file.get(), 0, SEEK_END) == 0) {
    long size = std::ftell(file.get());
    if (size > 0) bytes.reserve(static_cast<size_t>(size));
    std::rewind(file.get());
  }
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get())) fail(path, std::string("read error: ") + std::strerror(errno));
  return bytes;
}

// gzip's trailer stores the uncompressed size modulo 2^32: a good first guess for the output
// (one more byte, so that inflate sees the stream end before the buffer is full). Deflate never
// expands more than about 1032:1, which bounds the guess when the trailer is corrupt.
size_t size_hint(const std::vector<uint8_t>& gz) {
  size_t n = gz.size();
  uint32_t isize = static_cast<uint32_t>(gz[n - 4]) | static_cast<uint32_t>(gz[n - 3]) << 8 |
                   static_cast<uint32_t>(gz[n - 2]) << 16 | static_cast<uint32_t>(gz[n - 1]) << 24;
  return std::min<size_t>(static_cast<size_t>(isize) + 1, 1032 * n + 1);
}

std::vector<uint8_t> gunzip(const std::string& path, const std::vector<uint8_t>& gz) {
  if (gz.size() < 2 || gz[0] != kGzipMagic0 || gz[1] != kGzipMagic1) {
    std::string found = gz.size() < 2 ? "a file of " + std::to_string(gz.size()) + " bytes"
                                      : hex_byte(gz[0]) + " " + hex_byte(gz[1]);
    fail(path, "not a gzip file: expected it to start with 0x1f 0x8b, found " + found);
  }
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) fail(path, "cannot initialise zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, &inflateEnd);

  std::vector<uint8_t> out(gz.size() >= 18 ? size_hint(gz) : 1024);
  size_t in_used = 0, produced = 0;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    size_t in_before = std::min<size_t>(gz.size() - in_used, UINT_MAX);
    size_t out_before = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_in = const_cast<Bytef*>(gz.data() + in_used);
    zs.avail_in = static_cast<uInt>(in_before);
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(out_before);
    int ret = inflate(&zs, Z_NO_FLUSH);
    in_used += in_before - zs.avail_in;
    produced += out_before - zs.avail_out;
    if (ret == Z_STREAM_END) {
      if (in_used == gz.size()) break;
      // `cat a.gz b.gz` is a valid gzip file: decode the next member.
      if (gz.size() - in_used >= 2 && gz[in_used] == kGzipMagic0 &&
          gz[in_used + 1] == kGzipMagic1) {
        inflateReset(&zs);
        continue;
      }
      fail(path, "corrupt gzip data: " + std::to_string(gz.size() - in_used) +
                     " unexpected bytes after the compressed stream");
    }
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT)
      fail(path, std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "invalid deflate stream"));
    if (ret == Z_MEM_ERROR) fail(path, "out of memory while decompressing");
    if (ret != Z_OK && ret != Z_BUF_ERROR) fail(path, "zlib error " + std::to_string(ret));
    if (in_used == gz.size() && produced < out.size())
      fail(path, "truncated gzip file: the compressed stream ends early (after " +
                     std::to_string(produced) + " decompressed bytes)");
  }
  out.resize(produced);
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::vector<uint8_t> raw = read_raw(path);
  return ends_with(path, ".gz") ? gunzip(path, raw) : raw;
}

}  // namespace gear::plugins::datasets
