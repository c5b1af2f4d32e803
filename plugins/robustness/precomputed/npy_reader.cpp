#include "npy_reader.h"

#include <gear/dataset.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

namespace gear::plugins {
namespace robustness {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// Longer header texts are cut in messages; a real header is about 120 bytes.
constexpr size_t kQuotedHeaderLimit = 200;
constexpr char kSupportedDtypes[] = "|u1, |i1, |b1, <i2, <i4, <i8, <f2, <f4, <f8";

std::string where(const std::filesystem::path& file) { return file.string() + ": "; }

bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

uint32_t little_endian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

struct Dtype {
  torch::ScalarType type;
  int64_t item_size;
};

Dtype parse_descr(const std::string& descr, const std::filesystem::path& file) {
  const std::string unsupported = where(file) + "unsupported dtype '" + descr + "'";
  if (descr.size() < 2) throw DataError(unsupported + " (supported: " + kSupportedDtypes + ")");
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  // Byte order means nothing for one-byte types, and NumPy spells them with any of the markers.
  if (kind == "u1" || kind == "i1" || kind == "b1") {
    if (order != '|' && order != '<' && order != '>' && order != '=')
      throw DataError(unsupported + " (supported: " + kSupportedDtypes + ")");
    if (kind == "u1") return {torch::kByte, 1};
    if (kind == "i1") return {torch::kChar, 1};
    return {torch::kBool, 1};
  }
  std::optional<Dtype> dtype;
  if (kind == "i2") dtype = Dtype{torch::kShort, 2};
  if (kind == "i4") dtype = Dtype{torch::kInt, 4};
  if (kind == "i8") dtype = Dtype{torch::kLong, 8};
  if (kind == "f2") dtype = Dtype{torch::kHalf, 2};
  if (kind == "f4") dtype = Dtype{torch::kFloat, 4};
  if (kind == "f8") dtype = Dtype{torch::kDouble, 8};
  if (!dtype) throw DataError(unsupported + " (supported: " + kSupportedDtypes + ")");
  if (order == '>')
    throw DataError(where(file) + "big-endian data (dtype '" + descr +
                    "') is not supported; save it as '<" + kind + "'");
  if (order != '<' && order != '=')
    throw DataError(unsupported + " (supported: " + kSupportedDtypes + ")");
  // The data is copied byte for byte, which is right only on a little-endian host.
  if (!host_is_little_endian())
    throw DataError(where(file) + "multi-byte dtype '" + descr + "' on a big-endian host");
  return *dtype;
}

/// The header is a Python dict literal, e.g.
/// {'descr': '|u1', 'fortran_order': False, 'shape': (50000, 32, 32, 3), }
/// padded with spaces and ended by a newline. This parses exactly that subset of Python.
class HeaderParser {
 public:
  HeaderParser(std::string text, std::filesystem::path file)
      : text_(std::move(text)), file_(std::move(file)) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<int64_t>& shape) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() == '[')
          throw DataError(where(file_) + "unsupported dtype: structured arrays are not supported");
        descr = parse_string();
        seen_descr = true;
      } else if (key == "fortran_order") {
        fortran_order = parse_bool();
        seen_order = true;
      } else if (key == "shape") {
        shape = parse_shape();
        seen_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dict");
    if (!seen_descr) fail("no 'descr' key");
    if (!seen_order) fail("no 'fortran_order' key");
    if (!seen_shape) fail("no 'shape' key");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string quoted = text_.substr(0, kQuotedHeaderLimit);
    while (!quoted.empty() && std::isspace(static_cast<unsigned char>(quoted.back())))
      quoted.pop_back();
    throw DataError(where(file_) + "malformed .npy header: " + what + " at character " +
                    std::to_string(pos_) + " of \"" + quoted + "\"");
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }

  bool parse_bool() {
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }

  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
      int64_t dim = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("dimension too large");
        dim = dim * 10 + (text_[pos_++] - '0');
      }
      if (peek() == 'L') ++pos_;  // Python 2 wrote long integers as 123L.
      shape.push_back(dim);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++pos_;
    return shape;
  }

  std::string text_;
  std::filesystem::path file_;
  size_t pos_ = 0;
};

// `file_size` bounds the header length field before anything is allocated for it: a version 2.0
// or 3.0 header may claim up to 4 GiB.
NpyHeader parse_header(std::istream& in, const std::filesystem::path& file, uintmax_t file_size) {
  uint8_t prefix[12] = {};
  in.read(reinterpret_cast<char*>(prefix), 10);
  if (in.gcount() < 10)
    throw DataError(where(file) + "too short for an .npy file: " + std::to_string(in.gcount()) +
                    " bytes");
  if (std::memcmp(prefix, kMagic, kMagicSize) != 0)
    throw DataError(where(file) + "bad magic: not an .npy file (expected \\x93NUMPY)");
  const int major = prefix[6], minor = prefix[7];
  if ((major < 1 || major > 3) || minor != 0)
    throw DataError(where(file) + "unsupported .npy format version " + std::to_string(major) + "." +
                    std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  // Version 1.0 has a 2-byte header length; 2.0 and 3.0 have 4 bytes.
  const int length_bytes = major == 1 ? 2 : 4;
  if (length_bytes == 4) {
    in.read(reinterpret_cast<char*>(prefix) + 10, 2);
    if (in.gcount() < 2) throw DataError(where(file) + "truncated .npy header length");
  }
  const uint32_t header_length = little_endian(prefix + 8, length_bytes);
  const uintmax_t prefix_bytes = 8 + static_cast<uintmax_t>(length_bytes);
  const uintmax_t left = file_size > prefix_bytes ? file_size - prefix_bytes : 0;
  if (header_length > left)
    throw DataError(where(file) + "truncated .npy header: expected " +
                    std::to_string(header_length) + " bytes, got " + std::to_string(left));
  std::string text(header_length, '\0');
  in.read(text.data(), header_length);
  if (in.gcount() < static_cast<std::streamsize>(header_length))
    throw DataError(where(file) + "truncated .npy header: expected " +
                    std::to_string(header_length) + " bytes, got " + std::to_string(in.gcount()));

  std::string descr;
  bool fortran_order = false;
  NpyHeader header;
  HeaderParser(text, file).parse(descr, fortran_order, header.shape);
  const Dtype dtype = parse_descr(descr, file);
  if (fortran_order)
    throw DataError(where(file) +
                    "Fortran-ordered arrays are not supported; save with "
                    "np.ascontiguousarray");
  header.dtype = dtype.type;
  header.data_offset = 8 + length_bytes + static_cast<int64_t>(header_length);
  int64_t bytes = dtype.item_size;
  for (int64_t dim : header.shape) {
    if (dim != 0 && bytes > std::numeric_limits<int64_t>::max() / dim)
      throw DataError(where(file) + "malformed .npy header: the shape's size overflows");
    bytes *= dim;
  }
  header.data_bytes = bytes;
  return header;
}

std::ifstream open(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    throw DataError(where(file) + "no such .npy file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(where(file) + "cannot open: " + std::strerror(errno));
  return in;
}

uintmax_t size_of(const std::filesystem::path& file) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(file, error);
  if (error) throw DataError(where(file) + "cannot read its size: " + error.message());
  return size;
}

}  // namespace

NpyHeader read_npy_header(const std::filesystem::path& file) {
  std::ifstream in = open(file);
  return parse_header(in, file, size_of(file));
}

torch::Tensor read_npy(const std::filesystem::path& file) {
  std::ifstream in = open(file);
  const auto file_size = static_cast<int64_t>(size_of(file));
  const NpyHeader header = parse_header(in, file, static_cast<uintmax_t>(file_size));
  const int64_t available = file_size - header.data_offset;
  if (available < header.data_bytes)
    throw DataError(where(file) + "truncated data: expected " + std::to_string(header.data_bytes) +
                    " bytes, got " + std::to_string(available));
  if (available > header.data_bytes)
    throw DataError(where(file) + "malformed .npy file: " +
                    std::to_string(available - header.data_bytes) + " unexpected bytes after the " +
                    std::to_string(header.data_bytes) + " data bytes the header declares");

  torch::Tensor out = torch::empty(header.shape, torch::TensorOptions().dtype(header.dtype));
  if (header.data_bytes > 0) {
    in.read(static_cast<char*>(out.data_ptr()), header.data_bytes);
    if (in.gcount() != header.data_bytes)
      throw DataError(where(file) + "truncated data: expected " +
                      std::to_string(header.data_bytes) + " bytes, got " +
                      std::to_string(in.gcount()));
  }
  return out;
}

}  // namespace robustness
}  // namespace gear::plugins
