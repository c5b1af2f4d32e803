#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/utils.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "gear/host/pipeline.h"
#include "gear/host/plugin_loader.h"

namespace gear::test {
namespace fs = std::filesystem;

namespace {
struct TempRoot {
  fs::path path;
  TempRoot() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("gear-test-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempRoot() {
    std::error_code ec;
    if (!std::getenv("GEAR_KEEP_TEST_FILES")) fs::remove_all(path, ec);
  }
};
TempRoot& temp_root() {
  static TempRoot root;
  return root;
}
}  // namespace

fs::path temp_dir(const std::string& label) {
  static int counter = 0;
  fs::path dir = temp_root().path / (label + "-" + std::to_string(++counter));
  fs::create_directories(dir);
  return dir;
}

const host::Registry& real_plugins() {
  static host::Registry* registry = [] {
    auto* r = new host::Registry();
    host::load_plugins({GEAR_PLUGIN_DIR}, *r);
    return r;
  }();
  return *registry;
}

std::shared_ptr<GrowableNet> build_net(const std::string& architecture,
                                       std::vector<int64_t> input_shape, double width,
                                       std::vector<int64_t> widths, int64_t num_classes) {
  const auto& registry = real_plugins();
  const host::ComponentEntry* entry = registry.find(architecture);
  if (!entry) throw std::invalid_argument("no architecture plugin " + architecture + " was built");
  auto arch =
      registry.create<Architecture>(architecture, make_config(entry->info.schema, {}, "model"));
  ModelSpec spec;
  spec.input_shape = std::move(input_shape);
  spec.num_classes = num_classes;
  spec.width = width;
  spec.widths = std::move(widths);
  return arch->build(spec);
}

void settle(GrowableNet& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  net.train();
  for (int i = 0; i < 3; ++i) net.forward(x * (1.0 + 0.3 * i));
  net.eval();
}

const host::Registry& real_and_fixture_plugins() {
  static host::Registry* registry = [] {
    auto* r = new host::Registry();
    host::load_plugins({GEAR_PLUGIN_DIR, GEAR_FIXTURE_DIR}, *r);
    return r;
  }();
  return *registry;
}

Config make_config(const OptionSchema& schema,
                   const std::vector<std::pair<std::string, Value>>& values,
                   const std::string& path) {
  Config config(path, {});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  for (const auto& [name, value] : values) config.set(name, value, {"test", 1, 1}, true);
  return config;
}

void write_idx(const fs::path& path, uint32_t magic, const std::vector<int32_t>& dims,
               const std::vector<uint8_t>& payload, bool gzip) {
  std::string bytes;
  auto put32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put32(magic);
  for (int32_t d : dims) put32(static_cast<uint32_t>(d));
  bytes.append(payload.begin(), payload.end());
  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot write " + path.string());
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
}

fs::path write_tiny_fashion(const fs::path& dir, int train, int test) {
  fs::create_directories(dir);
  std::mt19937 rng(7);
  auto make = [&](const std::string& prefix, int n) {
    std::vector<uint8_t> images(static_cast<size_t>(n) * 784), labels(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int label = i % 10;
      labels[static_cast<size_t>(i)] = static_cast<uint8_t>(label);
      for (int p = 0; p < 784; ++p) {
        int row = p / 28;
        bool bar = row == 2 * label + 4 || row == 2 * label + 5;
        images[static_cast<size_t>(i) * 784 + static_cast<size_t>(p)] =
            static_cast<uint8_t>(bar ? 200 + rng() % 56 : rng() % 40);
      }
    }
    write_idx(dir / (prefix + "-images-idx3-ubyte.gz"), 0x803, {n, 28, 28}, images, true);
    write_idx(dir / (prefix + "-labels-idx1-ubyte.gz"), 0x801, {n}, labels, true);
  };
  make("train", train);
  make("t10k", test);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string>& fields = rows.emplace_back();
    std::stringstream s(line);
    for (std::string field; std::getline(s, field, ',');) fields.push_back(field);
  }
  return rows;
}

fs::path pipeline_file(const std::string& text) {
  fs::path path = temp_dir("pipeline") / "p.toml";
  write_text(path, text);
  return path;
}

ConfigError expect_pipeline_error(const std::string& text,
                                  const std::vector<std::string>& overrides,
                                  const host::Registry& plugins) {
  try {
    host::read_pipeline(pipeline_file(text), overrides, plugins);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return ConfigError({}, "", "");
}

std::string tiny_run_and_data(const fs::path& data, int seed, const std::string& run_extra) {
  return "[run]\nseed = " + std::to_string(seed) + "\ndevice = \"cpu\"\nthreads = 1\n" + run_extra +
         "\n[data]\nplugin = \"fashion-mnist\"\npath = \"" + data.string() +
         "\"\nbatch_size = 32\nval_split = 0.2\n";
}

std::string tiny_vgg_training(const std::string& width, int epochs,
                              const std::string& stage_extra) {
  return "\n[model]\narchitecture = \"vgg11\"\nwidth = " + width +
         "\n\n[[stage]]\nkind = \"train\"\nepochs = " + std::to_string(epochs) + "\n" + stage_extra;
}

int run_command(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) *output += buffer.data();
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace gear::test
