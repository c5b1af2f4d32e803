#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gear/architecture.h"
#include "gear/errors.h"
#include "gear/host/registry.h"

namespace gear::test {

/// A fresh, empty folder under the system temp dir, removed at process exit.
std::filesystem::path temp_dir(const std::string& label);

/// The registry with the built plugins (architectures, datasets, augmentations) loaded once.
const host::Registry& real_plugins();

/// The built plugins plus the fixture plugins (fixture-duplicate, fixture-noop, ...), loaded once.
const host::Registry& real_and_fixture_plugins();

/// A Config with every option of `schema` at its default, overridden by `values`.
Config make_config(const OptionSchema& schema,
                   const std::vector<std::pair<std::string, Value>>& values = {},
                   const std::string& path = "test");

/// Builds `architecture` from the real plugins (default options) for one sample of
/// `input_shape` [C, H, W]: at the multiplier `width`, or at `widths` when not empty.
std::shared_ptr<GrowableNet> build_net(const std::string& architecture,
                                       std::vector<int64_t> input_shape, double width,
                                       std::vector<int64_t> widths = {}, int64_t num_classes = 10);

/// Gives every BatchNorm of `net` non-trivial running statistics from three training-mode passes
/// over scaled copies of `x`, then switches `net` to eval mode.
void settle(GrowableNet& net, const torch::Tensor& x);

/// Writes an IDX file (big-endian header, uint8 payload); gzip-compressed when `gzip`.
void write_idx(const std::filesystem::path& path, uint32_t magic, const std::vector<int32_t>& dims,
               const std::vector<uint8_t>& payload, bool gzip = false);

/// Writes a small Fashion-MNIST-format dataset (4 files) of learnable images: class c has a
/// bright bar at row 2c. Returns the folder.
std::filesystem::path write_tiny_fashion(const std::filesystem::path& dir, int train, int test);

/// Writes `text` to `path`.
void write_text(const std::filesystem::path& path, const std::string& text);

/// The bytes of the file at `path` (empty when it cannot be read).
std::string read_text(const std::filesystem::path& path);

/// The rows of a comma-separated file such as metrics.csv, header first, each split into its
/// fields (no quoting: GEAR's CSV files have none).
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path);

/// Writes `text` to `p.toml` in a fresh temp folder; returns that file's path.
std::filesystem::path pipeline_file(const std::string& text);

/// Reads `text` as a pipeline file with `overrides` against `plugins` and returns the ConfigError
/// that must follow; records a test failure (and returns an empty error) when none is thrown.
ConfigError expect_pipeline_error(const std::string& text,
                                  const std::vector<std::string>& overrides = {},
                                  const host::Registry& plugins = real_plugins());

/// The [run] and [data] tables of a tiny CPU run (1 thread, batch 32, 20% validation) on the
/// Fashion-MNIST-format files in `data`; `run_extra` is appended to [run].
std::string tiny_run_and_data(const std::filesystem::path& data, int seed,
                              const std::string& run_extra = "");

/// A [model] table (VGG-11 at `width`) and a first train stage of `epochs`, with `stage_extra`
/// appended to that stage: the model part of the tests' tiny pipelines.
std::string tiny_vgg_training(const std::string& width, int epochs,
                              const std::string& stage_extra = "");

/// Runs `command` through the shell; returns its exit code (-1 if it did not exit normally) and
/// its stdout and stderr in `output`.
int run_command(const std::string& command, std::string* output);

/// What a command printed (stdout and stderr) and its exit code.
struct Ran {
  int code = 0;
  std::string output;
};

#ifdef GEARHOST_EXE
/// Runs the gearhost of this build with `args` (tests declared GEARHOST have it).
inline Ran gearhost(const std::string& args) {
  Ran r;
  r.code = run_command(std::string(GEARHOST_EXE) + " " + args, &r.output);
  return r;
}
#endif

/// The summary.json of the run folder `run`.
inline nlohmann::json summary_of(const std::filesystem::path& run) {
  return nlohmann::json::parse(std::ifstream(run / "summary.json"));
}

}  // namespace gear::test
