// The CIFAR readers on small files written here in the exact binary formats.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "cifar_classes.h"
#include "cifar_dataset.h"
#include "image_writers.h"
#include "test_support.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

// Record r of a file: label byte(s), then pixel p of the 3072 CHW bytes = (r * 7 + p) % 256.
void write_records(const fs::path& file, const std::vector<std::vector<uint8_t>>& labels,
                   int first = 0) {
  std::ofstream out(file, std::ios::binary);
  for (size_t r = 0; r < labels.size(); ++r) {
    for (uint8_t l : labels[r]) out.put(static_cast<char>(l));
    for (int p = 0; p < 3072; ++p) out.put(static_cast<char>((int(r) + first) * 7 + p));
  }
}

torch::Tensor expected_image(int r) {
  return ((torch::arange(3072) + r * 7) % 256).to(torch::kUInt8).view({3, 32, 32});
}

fs::path cifar10_folder(const std::string& label) {
  fs::path dir = test::temp_dir("cifar10-" + label);
  for (int b = 1; b <= 5; ++b)
    write_records(dir / ("data_batch_" + std::to_string(b) + ".bin"),
                  {{static_cast<uint8_t>(b)}, {static_cast<uint8_t>(9 - b)}}, 2 * (b - 1));
  write_records(dir / "test_batch.bin", {{3}, {0}, {9}});
  return dir;
}

Config options(const OptionSchema& schema, const fs::path& dir,
               std::vector<std::pair<std::string, Value>> extra = {}) {
  extra.emplace_back("path", dir.string());
  return test::make_config(schema, extra, "data");
}

using test::contains;
using test::data_error;

// The standard fine -> coarse label table of CIFAR-100 (as torchvision users restate it), an
// independent check of the superclass groups.
const int kFineToCoarse[100] = {4,  1,  14, 8,  0,  6,  7,  7,  18, 3,  3,  14, 9,  18, 7,  11, 3,
                                9,  7,  11, 6,  11, 5,  10, 7,  6,  13, 15, 3,  15, 0,  11, 1,  10,
                                12, 14, 16, 9,  11, 5,  5,  19, 8,  8,  15, 13, 14, 17, 18, 10, 16,
                                4,  17, 4,  2,  0,  17, 4,  18, 17, 10, 3,  2,  12, 12, 16, 12, 1,
                                9,  19, 2,  10, 0,  1,  16, 12, 9,  13, 15, 13, 16, 19, 2,  4,  6,
                                19, 5,  5,  8,  19, 18, 1,  2,  15, 6,  0,  17, 8,  14, 13};

TEST(Cifar10, PixelsAndLabelsRoundTripInBatchOrder) {
  Cifar10 cifar(options(Cifar10::schema(), cifar10_folder("good")));
  DatasetInfo info = cifar.info();
  EXPECT_EQ(info.num_classes, 10);
  EXPECT_EQ(info.class_names, cifar10_class_names());
  EXPECT_EQ(info.image_shape, (std::vector<int64_t>{3, 32, 32}));
  DataSplit train = cifar.load(SplitKind::kTrain);
  ASSERT_EQ(train.images.sizes(), (std::vector<int64_t>{10, 3, 32, 32}));
  EXPECT_TRUE(
      torch::equal(train.labels, torch::tensor({1, 8, 2, 7, 3, 6, 4, 5, 5, 4}, torch::kLong)));
  for (int r = 0; r < 10; ++r) EXPECT_TRUE(torch::equal(train.images[r], expected_image(r))) << r;
  // The R plane first: pixel (0, 0, 1) is byte 1 of the record, (1, 0, 0) byte 1024.
  EXPECT_EQ(train.images[0][0][0][1].item<int>(), 1);
  EXPECT_EQ(train.images[0][1][0][0].item<int>(), 1024 % 256);
  DataSplit test = cifar.load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(test.labels, torch::tensor({3, 0, 9}, torch::kLong)));
  EXPECT_TRUE(test.images.is_contiguous());
  EXPECT_EQ(test.images.scalar_type(), torch::kUInt8);
}

TEST(Cifar10, ClassNamesComeFromTheMetaFileWhenPresent) {
  fs::path dir = cifar10_folder("meta");
  test::write_text(dir / "batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
  EXPECT_EQ(Cifar10(options(Cifar10::schema(), dir)).info().class_names,
            (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}));
  test::write_text(dir / "batches.meta.txt", "a\nb\n");
  EXPECT_NE(data_error([&] {
              Cifar10(options(Cifar10::schema(), dir)).info();
            }).find("batches.meta.txt: 2 class names, expected 10"),
            std::string::npos);
}

TEST(Cifar10, BadFilesNameTheFileAndTheProblem) {
  fs::path dir = cifar10_folder("bad");
  // Truncated: one byte short of two records.
  fs::resize_file(dir / "data_batch_2.bin", 2 * 3073 - 1);
  std::string message =
      data_error([&] { Cifar10(options(Cifar10::schema(), dir)).load(SplitKind::kTrain); });
  EXPECT_NE(message.find("data_batch_2.bin: 6145 bytes is not a whole number of 3073-byte records"),
            std::string::npos)
      << message;
  EXPECT_TRUE(contains(message, "(truncated?)"));
  // A CIFAR-100 file where CIFAR-10 is expected: wrong record size.
  write_records(dir / "data_batch_2.bin", {{1, 2}, {3, 4}});
  EXPECT_TRUE(contains(
      data_error([&] { Cifar10(options(Cifar10::schema(), dir)).load(SplitKind::kTrain); }),
      "data_batch_2.bin: 6148 bytes is not a whole number of 3073-byte records; it holds whole "
      "3074-byte records: a CIFAR-100 file?"));
  // An empty file.
  write_records(dir / "data_batch_2.bin", {});
  EXPECT_TRUE(contains(
      data_error([&] { Cifar10(options(Cifar10::schema(), dir)).load(SplitKind::kTrain); }),
      "data_batch_2.bin: 0 bytes is not a whole number of 3073-byte records"));
  // Label out of range.
  write_records(dir / "data_batch_2.bin", {{1}, {10}});
  message = data_error([&] { Cifar10(options(Cifar10::schema(), dir)).load(SplitKind::kTrain); });
  EXPECT_NE(message.find("data_batch_2.bin: record 1 has label 10, outside [0, 10)"),
            std::string::npos)
      << message;
  write_records(dir / "data_batch_2.bin", {{1}, {2}});
  // Missing batch file: reported by info(), before any training, and by load().
  fs::remove(dir / "data_batch_4.bin");
  EXPECT_TRUE(contains(
      data_error([&] { Cifar10(options(Cifar10::schema(), dir)).load(SplitKind::kTrain); }),
      (dir / "data_batch_4.bin").string() + ": missing"));
  message = data_error([&] { Cifar10(options(Cifar10::schema(), dir)).info(); });
  EXPECT_NE(message.find("cifar10: missing " + (dir / "data_batch_4.bin").string()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("cifar-10-binary.tar.gz"), std::string::npos) << message;
  // No path at all.
  message = data_error([&] { Cifar10(test::make_config(Cifar10::schema(), {}, "data")).info(); });
  EXPECT_TRUE(contains(message, "cifar10: no data.path; download cifar-10-binary.tar.gz"));
  EXPECT_TRUE(contains(message, "https://www.cs.toronto.edu/~kriz/"));
  EXPECT_TRUE(contains(message, "set data.path to its cifar-10-batches-bin folder"));
  message = data_error([&] { Cifar10(options(Cifar10::schema(), dir / "nowhere")).info(); });
  EXPECT_TRUE(contains(message, "nowhere does not exist"));
}

TEST(Cifar100, StandardNamesAndSuperclassesAreExact) {
  const std::vector<std::string>& fine = cifar100_fine_names();
  ASSERT_EQ(fine.size(), 100u);
  EXPECT_TRUE(std::is_sorted(fine.begin(), fine.end()));  // fine labels are alphabetical
  EXPECT_EQ(std::set<std::string>(fine.begin(), fine.end()).size(), 100u);
  EXPECT_EQ(fine[0], "apple");
  EXPECT_EQ(fine[58], "pickup_truck");
  EXPECT_EQ(fine[99], "worm");
  EXPECT_EQ(cifar10_class_names(),
            (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog",
                                      "frog", "horse", "ship", "truck"}));
  const std::vector<ClassGroup>& groups = cifar100_superclasses();
  ASSERT_EQ(groups.size(), 20u);
  EXPECT_EQ(groups[0].name, "aquatic_mammals");
  EXPECT_EQ(groups[9].name, "large_man-made_outdoor_things");
  EXPECT_EQ(groups[13].name, "non-insect_invertebrates");
  EXPECT_EQ(groups[19].name, "vehicles_2");
  for (const ClassGroup& g : groups) EXPECT_EQ(g.classes.size(), 5u) << g.name;
  for (int f = 0; f < 100; ++f) {
    const auto& members = groups[kFineToCoarse[f]].classes;
    EXPECT_NE(std::find(members.begin(), members.end(), fine[f]), members.end())
        << fine[f] << " should be in " << groups[kFineToCoarse[f]].name;
  }
}

TEST(Cifar100, FineAndCoarseLabelsAndSuperclasses) {
  fs::path dir = test::temp_dir("cifar100");
  // (coarse, fine): vehicles_1 (18) / bicycle (8), people (14) / girl (35).
  write_records(dir / "train.bin", {{18, 8}, {14, 35}, {18, 13}});
  write_records(dir / "test.bin", {{14, 98}});
  Cifar100 fine(options(Cifar100::schema(), dir));
  DatasetInfo info = fine.info();
  EXPECT_EQ(info.num_classes, 100);
  EXPECT_EQ(info.class_names[8], "bicycle");
  DataSplit train = fine.load(SplitKind::kTrain);
  EXPECT_TRUE(torch::equal(train.labels, torch::tensor({8, 35, 13}, torch::kLong)));
  EXPECT_TRUE(torch::equal(train.images[1], expected_image(1)));
  auto groups = fine.class_groups();
  ASSERT_EQ(groups.size(), 20u);
  EXPECT_EQ(groups[18].name, "vehicles_1");
  EXPECT_EQ(groups[18].classes,
            (std::vector<std::string>{"bicycle", "bus", "motorcycle", "pickup_truck", "train"}));

  Cifar100 coarse(options(Cifar100::schema(), dir, {{"label", std::string("coarse")}}));
  info = coarse.info();
  EXPECT_EQ(info.num_classes, 20);
  EXPECT_EQ(info.class_names[14], "people");
  EXPECT_TRUE(torch::equal(coarse.load(SplitKind::kTrain).labels,
                           torch::tensor({18, 14, 18}, torch::kLong)));
  EXPECT_TRUE(coarse.class_groups().empty());
  // Every fine class is in exactly one superclass, and the data's coarse labels agree.
  std::map<std::string, int> seen;
  for (const auto& g : groups)
    for (const auto& c : g.classes) ++seen[c];
  EXPECT_EQ(seen.size(), 100u);
  for (const auto& [name, count] : seen) EXPECT_EQ(count, 1) << name;
}

TEST(Cifar100, WrongRecordSizeAndBadLabels) {
  fs::path dir = test::temp_dir("cifar100-bad");
  write_records(dir / "train.bin", {{1}, {2}});  // CIFAR-10 records: 3073 bytes
  write_records(dir / "test.bin", {{14, 100}});
  Cifar100 cifar(options(Cifar100::schema(), dir));
  EXPECT_NE(data_error([&] {
              cifar.load(SplitKind::kTrain);
            }).find("train.bin: 6146 bytes is not a whole number of 3074-byte records"),
            std::string::npos);
  EXPECT_TRUE(contains(data_error([&] { cifar.load(SplitKind::kTest); }),
                       "test.bin: record 0 has fine label 100, outside [0, 100)"));
  // The coarse byte is checked too, whichever label is used.
  write_records(dir / "test.bin", {{3, 30}, {20, 98}});
  EXPECT_TRUE(contains(data_error([&] { cifar.load(SplitKind::kTest); }),
                       "test.bin: record 1 has coarse label 20, outside [0, 20)"));
  // No path.
  const std::string message =
      data_error([&] { Cifar100(test::make_config(Cifar100::schema(), {}, "data")).info(); });
  EXPECT_TRUE(contains(message, "cifar100: no data.path; download cifar-100-binary.tar.gz"));
  EXPECT_TRUE(contains(message, "its cifar-100-binary folder"));
}

TEST(Cifar100, MetaFilesNameTheClassesAndTheGroups) {
  fs::path dir = test::temp_dir("cifar100-meta");
  // Every fine class once, with its standard coarse label: train.bin as the real one orders it.
  std::vector<std::vector<uint8_t>> records;
  for (int f = 0; f < 100; ++f)
    records.push_back({static_cast<uint8_t>(kFineToCoarse[f]), static_cast<uint8_t>(f)});
  write_records(dir / "train.bin", records);
  write_records(dir / "test.bin", {{0, 4}});
  std::string fine_text, coarse_text;
  for (int f = 0; f < 100; ++f) fine_text += "F" + std::to_string(f) + "\n";
  for (int c = 0; c < 20; ++c) coarse_text += "C" + std::to_string(c) + "\r\n";  // CRLF too
  test::write_text(dir / "fine_label_names.txt", fine_text);
  test::write_text(dir / "coarse_label_names.txt", coarse_text);
  Cifar100 fine(options(Cifar100::schema(), dir));
  EXPECT_EQ(fine.info().class_names[57], "F57");
  const auto groups = fine.class_groups();
  ASSERT_EQ(groups.size(), 20u);
  EXPECT_EQ(groups[18].name, "C18");
  EXPECT_EQ(groups[18].classes, (std::vector<std::string>{"F8", "F13", "F48", "F58", "F90"}));
  // The groups agree with the labels the records carry.
  const DataSplit train = fine.load(SplitKind::kTrain);
  Cifar100 coarse(options(Cifar100::schema(), dir, {{"label", std::string("coarse")}}));
  const DataSplit coarse_train = coarse.load(SplitKind::kTrain);
  EXPECT_EQ(coarse.info().class_names[4], "C4");
  for (int64_t i = 0; i < 100; ++i) {
    const auto& members = groups[coarse_train.labels[i].item<int64_t>()].classes;
    const std::string name = "F" + std::to_string(train.labels[i].item<int64_t>());
    EXPECT_NE(std::find(members.begin(), members.end(), name), members.end()) << name;
  }
}

}  // namespace
}  // namespace gear::plugins::datasets
