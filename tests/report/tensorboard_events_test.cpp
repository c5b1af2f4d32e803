// CRC-32C against its standard check values, and the event file's name, framing and flushing
// (the Event messages themselves are decoded independently by tensorboard_test.py).
#include "gear/report/tensorboard_events.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "report_test_support.h"

namespace gear::report {
namespace {

namespace fs = std::filesystem;

TEST(Crc32c, StandardCheckValues) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // RFC 3720 (iSCSI), appendix B.4: 32 bytes of zeros, of ones, and ascending.
  unsigned char bytes[32];
  std::memset(bytes, 0, sizeof bytes);
  EXPECT_EQ(crc32c(bytes, sizeof bytes), 0x8A9136AAu);
  std::memset(bytes, 0xFF, sizeof bytes);
  EXPECT_EQ(crc32c(bytes, sizeof bytes), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) bytes[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c(bytes, sizeof bytes), 0x46DD794Eu);
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

TEST(EventWriter, NamesFramesAndFlushesEachRecord) {
  const fs::path dir = fixtures::fresh_folder() / "tb";
  EventWriter writer(dir);
  const std::string file = writer.path().filename().string();
  ASSERT_EQ(file.rfind("events.out.tfevents.", 0), 0u) << file;
  const std::string rest = file.substr(std::string("events.out.tfevents.").size());
  const size_t dot = rest.find('.');
  ASSERT_NE(dot, std::string::npos);
  EXPECT_GT(std::stoll(rest.substr(0, dot)), 1600000000LL);  // Unix seconds
  EXPECT_FALSE(rest.substr(dot + 1).empty());                // the host name

  const auto first_size = fs::file_size(writer.path());
  writer.scalar("train/loss", 1, 0.5);
  // Read while the writer is open: each record is on disk as soon as it is written.
  EXPECT_GT(fs::file_size(writer.path()), first_size);

  std::ifstream in(writer.path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GE(bytes.size(), 16u);
  uint64_t length;
  uint32_t length_crc, data_crc;
  std::memcpy(&length, bytes.data(), 8);
  std::memcpy(&length_crc, bytes.data() + 8, 4);
  ASSERT_LE(12 + length + 4, bytes.size());
  std::memcpy(&data_crc, bytes.data() + 12 + length, 4);
  EXPECT_EQ(length_crc, masked(crc32c(bytes.data(), 8)));
  EXPECT_EQ(data_crc, masked(crc32c(bytes.data() + 12, length)));
  EXPECT_NE(bytes.substr(12, length).find("brain.Event:2"), std::string::npos);
}

TEST(EventWriter, UnwritableFolderIsNamed) {
  const fs::path dir = fixtures::fresh_folder();
  fixtures::write_text(dir / "file", "x");
  try {
    EventWriter writer(dir / "file" / "tb");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "file" / "tb").string()), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace gear::report
