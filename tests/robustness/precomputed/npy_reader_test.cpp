#include "npy_reader.h"

#include <gear/dataset.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "test_files.h"

namespace gear::plugins {
namespace robustness {
namespace {

using testing::npy_bytes;
using testing::npy_dict;
using testing::ScratchDir;
using testing::write_file;

std::vector<uint8_t> raw_bytes(const torch::Tensor& t) {
  const auto* begin = static_cast<const uint8_t*>(t.data_ptr());
  return std::vector<uint8_t>(begin, begin + t.numel() * t.element_size());
}

/// The message of the DataError that `read_npy(file)` throws; fails the test if none.
std::string npy_error(const std::filesystem::path& file) {
  try {
    read_npy(file);
  } catch (const DataError& error) {
    return error.what();
  }
  ADD_FAILURE() << "read_npy(" << file << ") did not throw";
  return "";
}

struct DtypeCase {
  std::string descr;
  torch::ScalarType type;
};

// Without it gtest prints the struct's raw bytes, padding included.
void PrintTo(const DtypeCase& c, std::ostream* out) { *out << c.descr; }

class PrecomputedNpyDtype : public ::testing::TestWithParam<DtypeCase> {};

TEST_P(PrecomputedNpyDtype, RoundTripsShapeAndValuesInEveryVersion) {
  const DtypeCase& c = GetParam();
  ScratchDir dir("npy-dtype");
  // Negative and fractional values where the type holds them, so sign and bits are checked.
  torch::Tensor values = (torch::arange(24, torch::kDouble) * 1.5 - 6).reshape({2, 3, 4});
  if (c.type == torch::kBool) values = values.gt(0);
  if (c.type == torch::kByte) values = values.abs();
  const torch::Tensor expected = values.to(c.type).contiguous();
  for (int major : {1, 2, 3}) {
    const auto file = dir / ("v" + std::to_string(major) + ".npy");
    write_file(file, npy_bytes(npy_dict(c.descr, "(2, 3, 4)"), raw_bytes(expected), major));
    const torch::Tensor got = read_npy(file);
    EXPECT_EQ(got.scalar_type(), c.type) << c.descr << " v" << major;
    EXPECT_EQ(got.sizes(), torch::IntArrayRef({2, 3, 4})) << c.descr << " v" << major;
    EXPECT_TRUE(got.is_contiguous());
    EXPECT_TRUE(torch::equal(got, expected)) << c.descr << " v" << major;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllDtypes, PrecomputedNpyDtype,
    ::testing::Values(DtypeCase{"|u1", torch::kByte}, DtypeCase{"<u1", torch::kByte},
                      DtypeCase{"|i1", torch::kChar}, DtypeCase{"|b1", torch::kBool},
                      DtypeCase{"<i2", torch::kShort}, DtypeCase{"<i4", torch::kInt},
                      DtypeCase{"<i8", torch::kLong}, DtypeCase{"<f2", torch::kHalf},
                      DtypeCase{"<f4", torch::kFloat}, DtypeCase{"<f8", torch::kDouble}),
    [](const ::testing::TestParamInfo<DtypeCase>& info) {
      std::string name = info.param.descr;
      for (char& ch : name)
        if (ch == '|')
          ch = 'p';
        else if (ch == '<')
          ch = 'l';
      return name;
    });

TEST(PrecomputedNpy, ReadsOneDimensionalAndScalarShapes) {
  ScratchDir dir("npy-shapes");
  write_file(dir / "vector.npy", npy_bytes(npy_dict("|u1", "(5,)"), {1, 2, 3, 4, 5}));
  const torch::Tensor vector = read_npy(dir / "vector.npy");
  EXPECT_EQ(vector.sizes(), torch::IntArrayRef({5}));
  EXPECT_EQ(vector[4].item<uint8_t>(), 5);

  write_file(dir / "scalar.npy", npy_bytes(npy_dict("|u1", "()"), {42}));
  const torch::Tensor scalar = read_npy(dir / "scalar.npy");
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.item<uint8_t>(), 42);

  write_file(dir / "empty.npy", npy_bytes(npy_dict("<f4", "(0, 3)"), {}));
  EXPECT_EQ(read_npy(dir / "empty.npy").sizes(), torch::IntArrayRef({0, 3}));
}

TEST(PrecomputedNpy, AcceptsOtherKeyOrderQuotesAndPython2Longs) {
  ScratchDir dir("npy-dialects");
  write_file(
      dir / "a.npy",
      npy_bytes("{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"|u1\"}", {7, 9}));
  const torch::Tensor got = read_npy(dir / "a.npy");
  EXPECT_EQ(got.sizes(), torch::IntArrayRef({2, 1}));
  EXPECT_EQ(got[1][0].item<uint8_t>(), 9);
}

TEST(PrecomputedNpy, HeaderAloneGivesShapeAndOffset) {
  ScratchDir dir("npy-header");
  write_file(dir / "a.npy", npy_bytes(npy_dict("<i4", "(3, 2)"), std::vector<uint8_t>(24), 2));
  const NpyHeader header = read_npy_header(dir / "a.npy");
  EXPECT_EQ(header.dtype, torch::kInt);
  EXPECT_EQ(header.shape, std::vector<int64_t>({3, 2}));
  EXPECT_EQ(header.data_offset, 128);  // 12-byte prefix + dict, padded to 64.
  EXPECT_EQ(header.data_bytes, 24);
}

TEST(PrecomputedNpy, TruncatedDataNamesFileAndByteCounts) {
  ScratchDir dir("npy-truncated");
  const auto file = dir / "short.npy";
  write_file(file, npy_bytes(npy_dict("<i2", "(2, 5)"), std::vector<uint8_t>(13)));
  const std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("truncated data: expected 20 bytes, got 13"), std::string::npos)
      << message;
}

TEST(PrecomputedNpy, SurplusDataIsRefused) {
  ScratchDir dir("npy-surplus");
  const auto file = dir / "long.npy";
  write_file(file, npy_bytes(npy_dict("|u1", "(4,)"), std::vector<uint8_t>(6)));
  const std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("2 unexpected bytes"), std::string::npos) << message;
}

TEST(PrecomputedNpy, BadMagicNamesFile) {
  ScratchDir dir("npy-magic");
  const auto file = dir / "not.npy";
  std::vector<uint8_t> bytes = npy_bytes(npy_dict("|u1", "(1,)"), {0});
  bytes[1] = 'X';
  write_file(file, bytes);
  const std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("bad magic"), std::string::npos) << message;

  write_file(file, {0x93, 'N'});
  EXPECT_NE(npy_error(file).find("too short"), std::string::npos);
}

TEST(PrecomputedNpy, UnsupportedVersionIsRefused) {
  ScratchDir dir("npy-version");
  const auto file = dir / "v4.npy";
  write_file(file, npy_bytes(npy_dict("|u1", "(1,)"), {0}, 4));
  const std::string message = npy_error(file);
  EXPECT_NE(message.find("unsupported .npy format version 4.0"), std::string::npos) << message;
}

TEST(PrecomputedNpy, FortranOrderIsRefused) {
  ScratchDir dir("npy-fortran");
  const auto file = dir / "f.npy";
  write_file(file, npy_bytes(npy_dict("|u1", "(2, 2)", true), {1, 2, 3, 4}));
  const std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("Fortran-ordered"), std::string::npos) << message;
}

TEST(PrecomputedNpy, UnsupportedDtypeNamesDescr) {
  ScratchDir dir("npy-dtype-bad");
  const auto file = dir / "c.npy";
  write_file(file, npy_bytes(npy_dict("<c8", "(1,)"), std::vector<uint8_t>(8)));
  std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("unsupported dtype '<c8'"), std::string::npos) << message;

  write_file(file, npy_bytes("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                             std::vector<uint8_t>(4)));
  EXPECT_NE(npy_error(file).find("structured"), std::string::npos);
}

TEST(PrecomputedNpy, BigEndianIsRefused) {
  ScratchDir dir("npy-big-endian");
  const auto file = dir / "be.npy";
  write_file(file, npy_bytes(npy_dict(">i4", "(1,)"), std::vector<uint8_t>(4)));
  const std::string message = npy_error(file);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("big-endian data (dtype '>i4')"), std::string::npos) << message;
  // Byte order is meaningless for one byte, so '>u1' reads.
  write_file(file, npy_bytes(npy_dict(">u1", "(1,)"), {3}));
  EXPECT_EQ(read_npy(file).item<uint8_t>(), 3);
}

TEST(PrecomputedNpy, MalformedHeadersAreNamed) {
  ScratchDir dir("npy-malformed");
  const auto file = dir / "m.npy";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '|u1', 'fortran_order': False}", "no 'shape' key"},
      {"{'descr': '|u1', 'fortran_order': Nope, 'shape': (1,)}", "expected True or False"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1, x)}", "expected a dimension"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
       "unexpected key 'extra'"},
      {"['descr', '|u1']", "expected '{'"},
      {"{'descr: '|u1'", "expected ':'"},
  };
  for (const auto& [dict, reason] : cases) {
    write_file(file, npy_bytes(dict, {0}));
    const std::string message = npy_error(file);
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("malformed .npy header: " + reason), std::string::npos)
        << dict << " -> " << message;
  }
  // A header length that runs past the end of the file.
  std::vector<uint8_t> bytes = npy_bytes(npy_dict("|u1", "(1,)"), {});
  bytes.resize(30);
  write_file(file, bytes);
  EXPECT_NE(npy_error(file).find("truncated .npy header: expected 118 bytes, got 20"),
            std::string::npos)
      << npy_error(file);
}

// Peak resident memory of this process so far, in bytes.
int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

// Found by tests/fuzz/npy_fuzz: a version 2.0 header may declare up to 4 GiB of header text, and
// the reader allocated (and zeroed) that much before noticing the file ends.
TEST(PrecomputedNpy, HugeHeaderLengthIsRefusedBeforeAllocating) {
  ScratchDir dir("npy-huge-header");
  const auto file = dir / "h.npy";
  const std::vector<uint8_t> bytes = {0x93, 'N',  'U',  'M',  'P', 'Y', 2,   0,
                                      0xf0, 0xff, 0xff, 0xff, '{', '}', ' ', '\n'};
  write_file(file, bytes);
  const int64_t before = peak_rss_bytes();
  const std::string message = npy_error(file);
  EXPECT_NE(message.find("truncated .npy header: expected 4294967280 bytes, got 4"),
            std::string::npos)
      << message;
  EXPECT_THROW(read_npy_header(file), DataError);
  EXPECT_LT(peak_rss_bytes() - before, int64_t{1} << 30) << "the header length was allocated";
}

TEST(PrecomputedNpy, MissingFileIsNamed) {
  ScratchDir dir("npy-missing");
  const std::string message = npy_error(dir / "absent.npy");
  EXPECT_NE(message.find("absent.npy: no such .npy file"), std::string::npos) << message;
}

}  // namespace
}  // namespace robustness
}  // namespace gear::plugins
