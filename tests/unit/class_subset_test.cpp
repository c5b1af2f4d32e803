#include "gear/host/class_subset.h"

#include <gtest/gtest.h>

#include "gear/errors.h"
#include "gear/host/host_schemas.h"
#include "test_support.h"

namespace gear::host {
namespace {

DatasetInfo four_classes() {
  DatasetInfo info;
  info.num_classes = 4;
  info.class_names = {"apple", "bee", "car", "dog"};
  return info;
}

const std::vector<ClassGroup> kGroups = {{"animals", {"bee", "dog"}}};

Config data_with(const std::vector<std::string>& classes) {
  return test::make_config(data_schema(), {{"classes", classes}}, "data");
}

std::string error_of(const std::vector<std::string>& classes) {
  try {
    resolve_class_subset(classes, four_classes(), kGroups, data_with(classes));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ClassSubset, NamesAndGroupsResolveInTheOrderGiven) {
  const std::vector<std::string> classes = {"car", "animals"};
  ClassSubset subset = resolve_class_subset(classes, four_classes(), kGroups, data_with(classes));
  EXPECT_EQ(subset.original, (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(subset.names, (std::vector<std::string>{"car", "bee", "dog"}));
}

TEST(ClassSubset, UnnamedDatasetsUseDecimalLabels) {
  DatasetInfo info;
  info.num_classes = 3;
  ClassSubset subset = resolve_class_subset({"2", "0"}, info, {}, data_with({"2", "0"}));
  EXPECT_EQ(subset.original, (std::vector<int64_t>{2, 0}));
}

TEST(ClassSubset, UnknownAndRepeatedClassesAreConfigErrors) {
  EXPECT_NE(error_of({"doge"}).find("unknown class 'doge' (did you mean 'dog'?)"),
            std::string::npos)
      << error_of({"doge"});
  EXPECT_NE(error_of({"dog", "animals"})
                .find("class 'dog' is selected twice (again through "
                      "'animals')"),
            std::string::npos)
      << error_of({"dog", "animals"});
  EXPECT_NE(error_of({"x"}).find("data.classes: unknown class 'x'; classes: apple, bee, car, dog; "
                                 "class groups: animals"),
            std::string::npos)
      << error_of({"x"});
}

// The unknown-class message lists the first 12 names and then the count: exactly 12 names are
// listed in full, a 13th is replaced by the count; unnamed datasets have exactly 0..N-1.
TEST(ClassSubset, UnknownClassListsTwelveNamesThenTheCount) {
  auto listing_of = [](int64_t classes) {
    DatasetInfo info;
    info.num_classes = classes;
    try {
      resolve_class_subset({"x"}, info, {}, data_with({"x"}));
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      return what.substr(what.rfind("; classes: ") + 11);
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(listing_of(12), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11");
  EXPECT_EQ(listing_of(13), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... (13 in all)");
  EXPECT_EQ(listing_of(2), "0, 1");
  DatasetInfo three;
  three.num_classes = 3;
  EXPECT_THROW(resolve_class_subset({"3"}, three, {}, data_with({"3"})), ConfigError);
}

TEST(ClassSubset, RestrictKeepsOrderAndRelabels) {
  DataSplit split;
  split.images = torch::arange(6, torch::kUInt8).view({6, 1, 1, 1});
  split.labels = torch::tensor({0, 3, 1, 2, 3, 0}, torch::kLong);
  ClassSubset subset{{3, 0}, {"dog", "apple"}};
  DataSplit kept = restrict_to_classes(split, subset, 4, /*relabel=*/true);
  EXPECT_TRUE(torch::equal(kept.images.flatten(), torch::tensor({0, 1, 4, 5}, torch::kUInt8)));
  EXPECT_TRUE(torch::equal(kept.labels, torch::tensor({1, 0, 0, 1}, torch::kLong)));
  // Without relabelling the samples keep their dataset labels (the N-way head stays).
  DataSplit same = restrict_to_classes(split, subset, 4, /*relabel=*/false);
  EXPECT_TRUE(torch::equal(same.images.flatten(), torch::tensor({0, 1, 4, 5}, torch::kUInt8)));
  EXPECT_TRUE(torch::equal(same.labels, torch::tensor({0, 3, 3, 0}, torch::kLong)));
}

TEST(StratifiedSplit, HoldsOutEachClassesShareSeededAndDisjoint) {
  // 50 of class 0, 30 of class 1, 20 of class 2, interleaved.
  std::vector<int64_t> values;
  for (int i = 0; i < 100; ++i) values.push_back(i < 50 ? 0 : i < 80 ? 1 : 2);
  torch::Tensor labels =
      torch::tensor(values, torch::kLong)
          .index_select(0, torch::randperm(100, torch::TensorOptions().dtype(torch::kLong)));
  const auto [kept, held] = stratified_split(labels, 3, 0.2, 11);
  torch::Tensor held_labels = labels.index_select(0, held);
  EXPECT_TRUE(
      torch::equal(torch::bincount(held_labels, {}, 3), torch::tensor({10, 6, 4}, torch::kLong)));
  EXPECT_EQ(kept.size(0) + held.size(0), 100);
  torch::Tensor all = std::get<0>(torch::cat({kept, held}).sort());
  EXPECT_TRUE(torch::equal(all, torch::arange(100, torch::kLong)));
  // Seeded: the same seed, the same split; another seed, another one.
  EXPECT_TRUE(torch::equal(stratified_split(labels, 3, 0.2, 11).second, held));
  EXPECT_FALSE(torch::equal(stratified_split(labels, 3, 0.2, 12).second, held));
  // Rounded per class: 25% of 30 is 7.5 -> 8, of 50 is 12.5 -> 13, of 20 is 5.
  EXPECT_EQ(stratified_split(labels, 3, 0.25, 1).second.size(0), 13 + 8 + 5);
}

}  // namespace
}  // namespace gear::host
