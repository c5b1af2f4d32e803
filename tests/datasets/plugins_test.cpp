// The built dataset plugins, loaded as gearhost loads them: registered names, documented
// options, and a dataset created through the registry from its plugin.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gear/host/registry.h"
#include "image_writers.h"
#include "test_support.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> option_names(const OptionSchema& schema) {
  std::vector<std::string> names;
  for (const OptionSpec& spec : schema.options()) names.push_back(spec.name);
  return names;
}

TEST(DatasetPlugins, RegisterTheFourDatasetsWithDocumentedOptions) {
  const host::Registry& registry = test::real_plugins();
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"cifar10", {"path"}},
      {"cifar100", {"path", "label"}},
      {"tiny-imagenet", {"path", "cache", "cache_dir"}},
      {"image-folder",
       {"path", "size", "fit", "channels", "test_fraction", "split_seed", "cache", "cache_dir"}}};
  for (const auto& [name, options] : expected) {
    const host::ComponentEntry* entry = registry.find(name);
    ASSERT_NE(entry, nullptr) << name << " is not registered";
    EXPECT_EQ(entry->info.kind, std::string("dataset")) << name;
    EXPECT_FALSE(entry->info.doc.empty()) << name;
    EXPECT_EQ(option_names(entry->info.schema), options) << name;
    for (const OptionSpec& spec : entry->info.schema.options())
      EXPECT_GT(spec.doc.size(), 20u) << name << "." << spec.name << " has no real doc string";
  }
}

TEST(DatasetPlugins, CreateAndLoadThroughTheRegistry) {
  const host::Registry& registry = test::real_plugins();
  const fs::path root = test::temp_dir("plugin-folder") / "data";
  test::write_png(root / "a" / "1.png", test::pattern_image(3, 4, 4, 1));
  test::write_png(root / "b" / "1.png", test::pattern_image(3, 4, 4, 2));
  const host::ComponentEntry* entry = registry.find("image-folder");
  ASSERT_NE(entry, nullptr);
  auto dataset = registry.create<Dataset>(
      "image-folder", test::make_config(entry->info.schema,
                                        {{"path", root.string()},
                                         {"cache_dir", (root.parent_path() / "cache").string()}},
                                        "data"));
  EXPECT_EQ(dataset->info().class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(
      torch::equal(dataset->load(SplitKind::kTrain).images[1], test::pattern_image(3, 4, 4, 2)));

  // cifar100's superclasses reach the host through the plugin's class_groups().
  const fs::path cifar = test::temp_dir("plugin-cifar100");
  for (const char* file : {"train.bin", "test.bin"}) {
    std::ofstream out(cifar / file, std::ios::binary);
    out.put(18).put(8);
    for (int p = 0; p < 3072; ++p) out.put(static_cast<char>(p));
  }
  auto c100 =
      registry.create<Dataset>("cifar100", test::make_config(registry.find("cifar100")->info.schema,
                                                             {{"path", cifar.string()}}, "data"));
  EXPECT_EQ(c100->info().num_classes, 100);
  EXPECT_EQ(c100->class_groups().at(18).name, "vehicles_1");
  EXPECT_TRUE(torch::equal(c100->load(SplitKind::kTest).labels, torch::tensor({8}, torch::kLong)));
}

}  // namespace
}  // namespace gear::plugins::datasets
