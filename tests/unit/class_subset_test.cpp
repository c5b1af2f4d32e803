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

TEST(ClassSubset, RestrictKeepsOrderAndRelabels) {
  DataSplit split;
  split.images = torch::arange(6, torch::kUInt8).view({6, 1, 1, 1});
  split.labels = torch::tensor({0, 3, 1, 2, 3, 0}, torch::kLong);
  ClassSubset subset{{3, 0}, {"dog", "apple"}};
  DataSplit kept = restrict_to_classes(split, subset, 4);
  EXPECT_TRUE(torch::equal(kept.images.flatten(), torch::tensor({0, 1, 4, 5}, torch::kUInt8)));
  EXPECT_TRUE(torch::equal(kept.labels, torch::tensor({1, 0, 0, 1}, torch::kLong)));
}

}  // namespace
}  // namespace gear::host
