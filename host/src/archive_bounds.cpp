#include "gear/host/archive_bounds.h"

#include <fstream>
#include <stdexcept>
#include <vector>

// The zip layout read here is PKWARE's APPNOTE (sections 4.3.7, 4.3.12, 4.3.14-16, 4.5.3); the
// pickle opcodes are CPython's Lib/pickletools.py, protocols 0-5. Written by hand because the
// check must run before any reader that trusts the lengths, and LibTorch's own zip reader
// (miniz) is not among its installed headers.
namespace gear::host {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfCentralDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64ExtraField = 0x0001;
constexpr uint32_t kNotInThisField32 = 0xffffffffu;  // the value lives in the zip64 record
constexpr uint16_t kStored = 0;
constexpr uint16_t kDeflated = 8;
// Deflate's densest encoding: 258 bytes from about two bits; 1032:1 is the bound zlib states.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Every read is bounds-checked: a check above it that is wrong then shows as std::out_of_range
// (a bug here), never as a read past the buffer.
uint64_t little_endian(std::string_view bytes, uint64_t at, int width) {
  if (at > bytes.size() || static_cast<uint64_t>(width) > bytes.size() - at)
    throw std::out_of_range("archive_bounds: a read of " + std::to_string(width) + " bytes at " +
                            std::to_string(at) + " of " + std::to_string(bytes.size()));
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::runtime_error corrupt(const std::string& what) {
  return std::runtime_error("corrupt archive: " + what);
}

class ArchiveFile {
 public:
  explicit ArchiveFile(const std::filesystem::path& path)
      : in_(path, std::ios::binary), size_(std::filesystem::file_size(path)) {
    if (!in_) throw std::runtime_error("cannot open it");
  }
  uint64_t size() const { return size_; }

  // `length` bytes at `offset`, which the caller has checked lie inside the file.
  std::string read(uint64_t offset, uint64_t length) {
    std::string bytes(length, '\0');
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(bytes.data(), static_cast<std::streamsize>(length));
    if (!in_)
      throw std::runtime_error("cannot read " + std::to_string(length) + " bytes at " +
                               std::to_string(offset));
    return bytes;
  }

  bool fits(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

 private:
  std::ifstream in_;
  uint64_t size_;
};

struct CentralDirectory {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t entries = 0;
};

// Finds the end-of-central-directory record (at most 64 KiB of comment after it); false when the
// file is not a zip.
bool find_central_directory(ArchiveFile& file, CentralDirectory& dir) {
  constexpr uint64_t kRecord = 22, kMaxComment = 0xffff;
  if (file.size() < kRecord) return false;
  const uint64_t tail_start =
      file.size() > kRecord + kMaxComment ? file.size() - kRecord - kMaxComment : 0;
  const std::string tail = file.read(tail_start, file.size() - tail_start);
  for (uint64_t i = tail.size() - kRecord + 1; i-- > 0;) {
    if (little_endian(tail, i, 4) != kEndOfCentralDirectory) continue;
    dir.entries = little_endian(tail, i + 10, 2);
    dir.size = little_endian(tail, i + 12, 4);
    dir.offset = little_endian(tail, i + 16, 4);
    const bool zip64 =
        dir.entries == 0xffff || dir.size == kNotInThisField32 || dir.offset == kNotInThisField32;
    if (!zip64) return true;
    const uint64_t eocd_at = tail_start + i;
    if (eocd_at < 20) throw corrupt("a zip64 end record without its locator");
    const std::string locator = file.read(eocd_at - 20, 20);
    if (little_endian(locator, 0, 4) != kZip64Locator)
      throw corrupt("a zip64 end record without its locator");
    const uint64_t record_at = little_endian(locator, 8, 8);
    if (!file.fits(record_at, 56))
      throw corrupt("the zip64 end record's offset " + std::to_string(record_at) +
                    " lies past the end");
    const std::string record = file.read(record_at, 56);
    if (little_endian(record, 0, 4) != kZip64EndOfCentralDirectory)
      throw corrupt("no zip64 end record at offset " + std::to_string(record_at));
    dir.entries = little_endian(record, 32, 8);
    dir.size = little_endian(record, 40, 8);
    dir.offset = little_endian(record, 48, 8);
    return true;
  }
  return false;
}

struct Entry {
  std::string name;
  uint16_t method = 0;
  uint64_t compressed = 0;
  uint64_t uncompressed = 0;
  uint64_t local_header = 0;
};

// Reads one central-directory header at `at` in `dir`; returns the offset of the next.
size_t read_entry(const std::string& dir, size_t at, Entry& entry) {
  constexpr size_t kFixed = 46;
  if (dir.size() - at < kFixed || little_endian(dir, at, 4) != kCentralHeader)
    throw corrupt("a central directory header expected at directory byte " + std::to_string(at));
  entry.method = static_cast<uint16_t>(little_endian(dir, at + 10, 2));
  entry.compressed = little_endian(dir, at + 20, 4);
  entry.uncompressed = little_endian(dir, at + 24, 4);
  const size_t name_length = little_endian(dir, at + 28, 2),
               extra_length = little_endian(dir, at + 30, 2),
               comment_length = little_endian(dir, at + 32, 2);
  entry.local_header = little_endian(dir, at + 42, 4);
  const size_t end = at + kFixed + name_length + extra_length + comment_length;
  if (end > dir.size()) throw corrupt("a central directory header runs past the directory");
  entry.name = dir.substr(at + kFixed, name_length);
  // The zip64 field holds, in this order, only the values whose 32-bit field is all ones.
  for (size_t x = at + kFixed + name_length; x + 4 <= at + kFixed + name_length + extra_length;) {
    const uint64_t id = little_endian(dir, x, 2), length = little_endian(dir, x + 2, 2);
    const size_t data = x + 4;
    x = data + length;
    if (id != kZip64ExtraField) continue;
    size_t field = data;
    for (uint64_t* value : {&entry.uncompressed, &entry.compressed, &entry.local_header}) {
      if (*value != kNotInThisField32) continue;
      if (field + 8 > data + length) throw corrupt("'" + entry.name + "' has a short zip64 field");
      *value = little_endian(dir, field, 8);
      field += 8;
    }
  }
  return end;
}

// Where the entry's data starts, and checks that its claimed sizes fit the file.
uint64_t check_entry(ArchiveFile& file, const Entry& entry) {
  const std::string record = "'" + entry.name + "'";
  if (!file.fits(entry.local_header, 30))
    throw corrupt(record + "'s local header offset " + std::to_string(entry.local_header) +
                  " lies past the end of the file (" + std::to_string(file.size()) + " bytes)");
  const std::string local = file.read(entry.local_header, 30);
  if (little_endian(local, 0, 4) != kLocalHeader)
    throw corrupt("no local header for " + record + " at offset " +
                  std::to_string(entry.local_header));
  const uint64_t data =
      entry.local_header + 30 + little_endian(local, 26, 2) + little_endian(local, 28, 2);
  if (!file.fits(data, entry.compressed))
    throw corrupt(record + " claims " + std::to_string(entry.compressed) + " bytes at offset " +
                  std::to_string(data) + " but the file has " + std::to_string(file.size()));
  const bool sizes_agree =
      entry.method == kStored ? entry.uncompressed == entry.compressed
      : entry.method == kDeflated
          ? entry.uncompressed <= entry.compressed * kMaxDeflateRatio + 1024
          : true;  // a method LibTorch cannot read: it says so without allocating
  if (!sizes_agree)
    throw corrupt(record + " claims " + std::to_string(entry.uncompressed) +
                  " bytes uncompressed from " + std::to_string(entry.compressed) + " stored");
  return data;
}

enum class Argument { kNone, kFixed, kCounted, kLines, kStop, kUnknown };
struct Opcode {
  Argument argument;
  int width;  // kFixed: bytes; kCounted: bytes of the little-endian count; kLines: lines
  const char* name;
};

Opcode opcode(unsigned char op) {
  switch (op) {
    case '.':
      return {Argument::kStop, 0, "STOP"};
    case 'T':
      return {Argument::kCounted, 4, "BINSTRING"};
    case 'U':
      return {Argument::kCounted, 1, "SHORT_BINSTRING"};
    case 'X':
      return {Argument::kCounted, 4, "BINUNICODE"};
    case 'B':
      return {Argument::kCounted, 4, "BINBYTES"};
    case 'C':
      return {Argument::kCounted, 1, "SHORT_BINBYTES"};
    case 0x8a:
      return {Argument::kCounted, 1, "LONG1"};
    case 0x8b:
      return {Argument::kCounted, 4, "LONG4"};
    case 0x8c:
      return {Argument::kCounted, 1, "SHORT_BINUNICODE"};
    case 0x8d:
      return {Argument::kCounted, 8, "BINUNICODE8"};
    case 0x8e:
      return {Argument::kCounted, 8, "BINBYTES8"};
    case 0x96:
      return {Argument::kCounted, 8, "BYTEARRAY8"};
    case 'K':
    case 'h':
    case 'q':
    case 0x80:
    case 0x82:
      return {Argument::kFixed, 1, "a one-byte opcode"};
    case 'M':
    case 0x83:
      return {Argument::kFixed, 2, "a two-byte opcode"};
    case 'J':
    case 'j':
    case 'r':
    case 0x84:
      return {Argument::kFixed, 4, "a four-byte opcode"};
    case 'G':
    case 0x95:
      return {Argument::kFixed, 8, "an eight-byte opcode"};
    case 'F':
    case 'I':
    case 'L':
    case 'P':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
      return {Argument::kLines, 1, "a text opcode"};
    case 'c':
    case 'i':
      return {Argument::kLines, 2, "GLOBAL/INST"};
    case '(':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'Q':
    case 'R':
    case 'a':
    case 'b':
    case 'd':
    case '}':
    case 'e':
    case 'l':
    case ']':
    case 'o':
    case 's':
    case 't':
    case ')':
    case 'u':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98:
      return {Argument::kNone, 0, ""};
    default:
      return {Argument::kUnknown, 0, ""};
  }
}

}  // namespace

void check_pickle_bounds(std::string_view pickle, const std::string& record) {
  const uint64_t size = pickle.size();
  auto past_end = [&](const char* name, uint64_t at, uint64_t claimed, uint64_t left) {
    return corrupt("'" + record + "': " + name + " at byte " + std::to_string(at) + " claims " +
                   std::to_string(claimed) + " bytes, " + std::to_string(left) + " remain");
  };
  for (uint64_t at = 0; at < size;) {
    const Opcode op = opcode(static_cast<unsigned char>(pickle[at]));
    const uint64_t arg = at + 1, left = size - arg;
    switch (op.argument) {
      case Argument::kStop:
      case Argument::kUnknown:
        return;  // LibTorch stops or refuses here too
      case Argument::kNone:
        at = arg;
        break;
      case Argument::kFixed:
        if (static_cast<uint64_t>(op.width) > left) throw past_end(op.name, at, op.width, left);
        at = arg + op.width;
        break;
      case Argument::kCounted: {
        if (static_cast<uint64_t>(op.width) > left) throw past_end(op.name, at, op.width, left);
        const uint64_t count = little_endian(pickle, arg, op.width);
        if (count > left - op.width) throw past_end(op.name, at, count, left - op.width);
        at = arg + op.width + count;
        break;
      }
      case Argument::kLines:
        at = arg;
        for (int line = 0; line < op.width; ++line) {
          const size_t newline = pickle.find('\n', at);
          if (newline == std::string_view::npos)
            throw corrupt("'" + record + "': " + op.name + " at byte " + std::to_string(arg - 1) +
                          " has no end of line");
          at = newline + 1;
        }
        break;
    }
  }
}

void check_archive_bounds(const std::filesystem::path& path) {
  ArchiveFile file(path);
  CentralDirectory dir;
  if (!find_central_directory(file, dir)) return;
  if (!file.fits(dir.offset, dir.size))
    throw corrupt("the central directory claims " + std::to_string(dir.size) + " bytes at offset " +
                  std::to_string(dir.offset) + " but the file has " + std::to_string(file.size()));
  const std::string directory = file.read(dir.offset, dir.size);
  size_t at = 0;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    Entry entry;
    at = read_entry(directory, at, entry);
    const uint64_t data = check_entry(file, entry);
    const bool pickle = entry.name.size() > 4 && entry.name.rfind(".pkl") == entry.name.size() - 4;
    if (pickle && entry.method == kStored)
      check_pickle_bounds(file.read(data, entry.compressed), entry.name);
  }
}

}  // namespace gear::host
