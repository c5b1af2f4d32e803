// The length checks run on a checkpoint before LibTorch reads it: each opcode family of the pickle
// walk, and each size field of the zip that LibTorch would allocate from.
#include "gear/host/archive_bounds.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gear/architecture.h"
#include "gear/host/checkpoint.h"
#include "test_support.h"

namespace gear::host {
namespace {
using ::testing::HasSubstr;
using namespace std::string_literals;

std::string pickle_error(const std::string& pickle) {
  try {
    check_pickle_bounds(pickle, "archive/data.pkl");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(PickleBounds, ExactFitsPass) {
  // PROTO 2, BINUNICODE "abc", BINPUT 0, SHORT_BINBYTES "xy", BININT, GLOBAL, STOP.
  EXPECT_EQ(pickle_error("\x80\x02X\x03\x00\x00\x00"s
                         "abcq\x00"
                         "C\x02xyJ\x01\x02\x03\x04"
                         "c__torch__\nNet\n."s),
            "");
  // A string reaching exactly to the end is whole.
  EXPECT_EQ(pickle_error("\x8c\x03"
                         "abc"s),
            "");
}

TEST(PickleBounds, EachLengthWidthIsReadAtItsWidth) {
  EXPECT_THAT(pickle_error("\x80\x02X\x04\x00\x00\x00"
                           "abc"s),
              HasSubstr("'archive/data.pkl': BINUNICODE at byte 2 claims 4 bytes, 3 remain"));
  EXPECT_THAT(pickle_error("\x8c\x05"
                           "abc"s),
              HasSubstr("SHORT_BINUNICODE at byte 0 claims 5 bytes, 3 remain"));
  // 2^32 + 1 in eight bytes: read as four it would be 1, and the one byte after it would fit.
  EXPECT_THAT(pickle_error("\x8e\x01\x00\x00\x00\x01\x00\x00\x00"
                           "z"s),
              HasSubstr("BINBYTES8 at byte 0 claims 4294967297 bytes, 1 remain"));
  EXPECT_THAT(pickle_error("\x8b\x00\x00\x00\x80"s),
              HasSubstr("LONG4 at byte 0 claims 2147483648 bytes, 0 remain"));
  // The length field itself cut short.
  EXPECT_THAT(pickle_error("\x8d\x01\x00"s),
              HasSubstr("BINUNICODE8 at byte 0 claims 8 bytes, 2 remain"));
}

TEST(PickleBounds, FixedArgumentsAreSkippedAtTheirWidth) {
  // BINPUT's one byte, then a bad string at byte 2; BININT's four, then one at byte 5.
  EXPECT_THAT(pickle_error("q\x00X\xff\xff\xff\xff"s), HasSubstr("BINUNICODE at byte 2 claims"));
  EXPECT_THAT(pickle_error("J\x01\x02\x03\x04X\xff\xff\xff\xff"s),
              HasSubstr("BINUNICODE at byte 5 claims"));
  EXPECT_THAT(pickle_error("G\x01\x02\x03"s), HasSubstr("at byte 0 claims 8 bytes, 3 remain"));
}

TEST(PickleBounds, LinesMustEnd) {
  EXPECT_THAT(pickle_error("c__torch__\nNet"s),
              HasSubstr("GLOBAL/INST at byte 0 has no end of line"));
  EXPECT_THAT(pickle_error("(I12"s), HasSubstr("at byte 1 has no end of line"));
}

TEST(PickleBounds, NothingAfterStopOrAnUnreadOpcodeIsExamined) {
  EXPECT_EQ(pickle_error(".X\xff\xff\xff\xff"s), "");
  EXPECT_EQ(pickle_error("\xffX\xff\xff\xff\xff"s), "");  // LibTorch refuses 0xff itself
}

// `value` as `width` little-endian bytes, the byte order of every zip field.
std::string little_endian(uint64_t value, int width) {
  std::string bytes;
  for (int i = 0; i < width; ++i) bytes += static_cast<char>(value >> (8 * i) & 0xff);
  return bytes;
}

// A zip written field by field, as APPNOTE lays it out, with one stored record; `zip64` moves
// every size and offset into the zip64 fields (all-ones in the 32-bit ones), as a writer must for
// a file over 4 GB.
struct HandZip {
  std::string name = "archive/data.pkl";
  std::string data;
  bool zip64 = false;
  uint64_t claimed_size = 0;  // 0: data.size()
  bool with_locator = true;

  static void put(std::string& out, uint64_t value, int width) {
    out += little_endian(value, width);
  }
  std::string bytes() const {
    const uint64_t size = claimed_size ? claimed_size : data.size();
    const uint32_t small = zip64 ? 0xffffffffu : static_cast<uint32_t>(size);
    std::string out;
    put(out, 0x04034b50, 4);
    put(out, 45, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4), put(out, 0, 4);
    put(out, size, 4), put(out, size, 4), put(out, name.size(), 2), put(out, 0, 2);
    out += name + data;
    const uint64_t directory_at = out.size();
    std::string extra;
    if (zip64)
      put(extra, 1, 2), put(extra, 24, 2), put(extra, size, 8), put(extra, size, 8),
          put(extra, 0, 8);
    put(out, 0x02014b50, 4);
    put(out, 45, 2), put(out, 45, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4);
    put(out, 0, 4), put(out, small, 4), put(out, small, 4), put(out, name.size(), 2);
    put(out, extra.size(), 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4);
    put(out, zip64 ? 0xffffffffu : 0, 4);
    out += name + extra;
    const uint64_t directory_size = out.size() - directory_at;
    if (zip64) {
      const uint64_t record_at = out.size();
      put(out, 0x06064b50, 4), put(out, 44, 8), put(out, 45, 2), put(out, 45, 2);
      put(out, 0, 4), put(out, 0, 4), put(out, 1, 8), put(out, 1, 8);
      put(out, directory_size, 8), put(out, directory_at, 8);
      if (with_locator)
        put(out, 0x07064b50, 4), put(out, 0, 4), put(out, record_at, 8), put(out, 1, 4);
    }
    put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2);
    put(out, zip64 ? 0xffff : 1, 2), put(out, zip64 ? 0xffff : 1, 2);
    put(out, zip64 ? 0xffffffffu : directory_size, 4);
    put(out, zip64 ? 0xffffffffu : directory_at, 4), put(out, 0, 2);
    return out;
  }
};

std::string archive_error(const std::string& bytes) {
  const auto path = test::temp_dir("hand-zip") / "hand.pt";
  test::write_text(path, bytes);
  try {
    check_archive_bounds(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const std::string kGoodPickle =
    "\x80\x02X\x03\x00\x00\x00"
    "abc."s;
const std::string kBadPickle =
    "\x80\x02X\x09\x00\x00\x00"
    "abc."s;

TEST(HandZip, ThePicklesOfAPlainZipAreWalked) {
  EXPECT_EQ(archive_error(HandZip{"archive/data.pkl", kGoodPickle}.bytes()), "");
  EXPECT_THAT(archive_error(HandZip{"archive/data.pkl", kBadPickle}.bytes()),
              HasSubstr("'archive/data.pkl': BINUNICODE at byte 2 claims 9 bytes, 4 remain"));
  // Only pickle records: the same bytes as tensor data are data.
  EXPECT_EQ(archive_error(HandZip{"archive/data/0", kBadPickle}.bytes()), "");
}

TEST(HandZip, Zip64SizesAndOffsetsAreReadFromTheirRecords) {
  // Read as the 32-bit all-ones, the record would claim 4294967295 bytes, not carry a pickle.
  EXPECT_EQ(archive_error(HandZip{"archive/data.pkl", kGoodPickle, true}.bytes()), "");
  EXPECT_THAT(archive_error(HandZip{"archive/data.pkl", kBadPickle, true}.bytes()),
              HasSubstr("BINUNICODE at byte 2 claims 9 bytes, 4 remain"));
  HandZip huge{"archive/data.pkl", kGoodPickle, true, uint64_t{1} << 40};
  EXPECT_THAT(archive_error(huge.bytes()), HasSubstr("data.pkl' claims 1099511627776 bytes"));
  HandZip lost{"archive/data.pkl", kGoodPickle, true};
  lost.with_locator = false;
  EXPECT_THAT(archive_error(lost.bytes()), HasSubstr("a zip64 end record without its locator"));
}

TEST(HandZip, MoreEntriesCountedThanTheDirectoryHoldsAreRefused) {
  std::string bytes = HandZip{"archive/data.pkl", kGoodPickle}.bytes();
  const size_t end_record = bytes.rfind("PK\x05\x06");
  bytes[end_record + 10] = 2;  // two entries; the directory holds one
  const size_t directory_size = static_cast<unsigned char>(bytes[end_record + 12]);
  EXPECT_THAT(archive_error(bytes), HasSubstr("a central directory header expected at directory "
                                              "byte " +
                                              std::to_string(directory_size)));
}

// A small real checkpoint's bytes, and where its zip records sit.
class ArchiveBounds : public ::testing::Test {
 protected:
  void SetUp() override {
    auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
    dir_ = test::temp_dir("archive-bounds");
    CheckpointMeta meta{"vgg11", {1, 28, 28}, 10, net->group_names(), net->widths(), 0, 1, 0.5};
    save_checkpoint(*net, meta, dir_ / "good.pt");
    good_ = test::read_text(dir_ / "good.pt");
  }

  // The offset of data.pkl's central directory header.
  size_t central_header_of_data_pkl() const {
    for (size_t at = good_.find("PK\x01\x02"); at != std::string::npos;
         at = good_.find("PK\x01\x02", at + 4)) {
      const size_t name_length = static_cast<unsigned char>(good_[at + 28]) |
                                 static_cast<unsigned char>(good_[at + 29]) << 8;
      const std::string name = good_.substr(at + 46, name_length);
      if (name.size() >= 8 && name.substr(name.size() - 8) == "data.pkl") return at;
    }
    ADD_FAILURE() << "no central header for data.pkl";
    return 0;
  }

  static void put32(std::string& bytes, size_t at, uint32_t value) {
    bytes.replace(at, 4, little_endian(value, 4));
  }

  std::filesystem::path dir_;
  std::string good_;
};

TEST_F(ArchiveBounds, AWholeCheckpointPasses) { EXPECT_EQ(archive_error(good_), ""); }

TEST_F(ArchiveBounds, AStringLengthInDataPklIsRefusedBeforeLibTorchAllocatesIt) {
  std::string bad = good_;
  const std::string key = "X\x05\x00\x00\x00vgg11"s;  // gear.architecture's value
  const size_t at = bad.find(key);
  ASSERT_NE(at, std::string::npos);
  put32(bad, at + 1, 0xffffffe3u);
  const std::string error = archive_error(bad);
  EXPECT_THAT(error, HasSubstr("data.pkl': BINUNICODE at byte"));
  EXPECT_THAT(error, HasSubstr("claims 4294967267 bytes"));
  // Through the reader, the message names the file, and it comes at once rather than after a
  // 4 GB allocation.
  test::write_text(dir_ / "bomb.pt", bad);
  try {
    read_checkpoint_meta(dir_ / "bomb.pt");
    FAIL() << "a 4 GB string claim was read";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot read checkpoint " + (dir_ / "bomb.pt").string() +
                                    ": corrupt archive: "));
    EXPECT_THAT(e.what(), HasSubstr("claims 4294967267 bytes"));
  }
}

TEST_F(ArchiveBounds, ARecordSizePastTheEndIsRefused) {
  std::string bad = good_;
  const size_t header = central_header_of_data_pkl();
  put32(bad, header + 20, 0x7fffffffu);  // compressed
  put32(bad, header + 24, 0x7fffffffu);  // uncompressed
  EXPECT_THAT(archive_error(bad), HasSubstr("data.pkl' claims 2147483647 bytes at offset"));
}

TEST_F(ArchiveBounds, AStoredRecordMustNotGrowWhenRead) {
  std::string bad = good_;
  put32(bad, central_header_of_data_pkl() + 24, 0x7fffffffu);  // uncompressed only
  EXPECT_THAT(archive_error(bad), HasSubstr("data.pkl' claims 2147483647 bytes uncompressed from"));
}

TEST_F(ArchiveBounds, ALocalHeaderOffsetPastTheEndIsRefused) {
  std::string bad = good_;
  put32(bad, central_header_of_data_pkl() + 42, static_cast<uint32_t>(good_.size()));
  EXPECT_THAT(archive_error(bad), HasSubstr("data.pkl''s local header offset " +
                                            std::to_string(good_.size()) + " lies past the end"));
}

TEST_F(ArchiveBounds, ACentralDirectoryPastTheEndIsRefused) {
  std::string bad = good_;
  const size_t end_record = bad.rfind("PK\x05\x06");
  ASSERT_NE(end_record, std::string::npos);
  put32(bad, end_record + 12, 0x7fffffffu);  // the directory's size
  EXPECT_THAT(archive_error(bad), HasSubstr("the central directory claims 2147483647 bytes"));
}

TEST_F(ArchiveBounds, NotAZipIsLeftToLibTorch) {
  EXPECT_EQ(archive_error("this is not a checkpoint\n"), "");
  EXPECT_EQ(archive_error(""), "");
}

}  // namespace
}  // namespace gear::host
