// The catalogue of bad inputs: each case writes one broken input (a pipeline, a dataset file, a
// plugin, a checkpoint, a run folder, a command line), runs the real gearhost on it and checks
// the exit code and what the message names (file, line, key, plugin). docs/errors.md is this
// table, rendered: a test fails when it is out of date (GEAR_WRITE_ERRORS_DOC=1 rewrites it).

#include <gtest/gtest.h>
#include <torch/serialize/output-archive.h>
#include <zlib.h>

#include <cctype>
#include <functional>
#include <set>
#include <sstream>

#include "loopback_port.h"
#include "test_support.h"

namespace gear {
namespace {

namespace fs = std::filesystem;

// What a case sets up in its own folder: the gearhost arguments to run (the fixture plugins are
// not on the path unless a case puts them there).
using Setup = std::function<std::string(const fs::path& dir)>;

struct Case {
  std::string id, category, input;
  Setup setup;
  int code;
  std::vector<std::string> fragments;  // each must be in the output
};

fs::path shared_data() {
  static const fs::path data = test::write_tiny_fashion(test::temp_dir("catalogue-data"), 60, 20);
  return data;
}

// A valid pipeline with `replace` applied (first occurrence of each key's text) and `append`ed.
std::string pipeline(const std::vector<std::pair<std::string, std::string>>& replace = {},
                     const std::string& append = "", const fs::path& data = shared_data()) {
  std::string text = test::tiny_run_and_data(data, 1) + test::tiny_vgg_training("0.125", 1);
  for (const auto& [from, to] : replace) {
    const size_t at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  return text + append;
}

// Writes `text` as p.toml in `dir`; returns "run <dir>/p.toml --out <dir>/run".
std::string run_of(const fs::path& dir, const std::string& text, const std::string& extra = "") {
  test::write_text(dir / "p.toml", text);
  return "run " + (dir / "p.toml").string() + " --out " + (dir / "run").string() + extra;
}

std::string validate_of(const fs::path& dir, const std::string& text) {
  test::write_text(dir / "p.toml", text);
  return "validate " + (dir / "p.toml").string();
}

// A Fashion-MNIST folder in `dir`/data from the tiny one, with `file` replaced by `bytes` (or
// written as an IDX file of `magic` and `dims` when bytes is empty).
fs::path broken_data(const fs::path& dir, const std::string& file, const std::string& bytes) {
  const fs::path data = dir / "data";
  fs::copy(shared_data(), data, fs::copy_options::recursive);
  std::ofstream(data / file, std::ios::binary | std::ios::trunc) << bytes;
  return data;
}

// `bytes` as a gzip stream, as the dataset's .gz files are.
std::string test_gzip(const std::string& bytes) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims, size_t payload,
                      uint8_t fill = 1) {
  std::string bytes;
  auto put32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(v >> shift));
  };
  put32(magic);
  for (uint32_t d : dims) put32(d);
  return bytes + std::string(payload, static_cast<char>(fill));
}

// One fixture plugin alone in `dir`/plugins, listed.
std::string list_fixture(const fs::path& dir, const std::string& fixture) {
  fs::create_directories(dir / "plugins");
  fs::copy_file(fs::path(GEAR_FIXTURE_DIR) / ("gear_fixture_" + fixture + ".so"),
                dir / "plugins" / ("gear_fixture_" + fixture + ".so"));
  return "list --plugin-path " + (dir / "plugins").string();
}

// A pipeline that starts from the checkpoint file `bytes` (written as start.pt).
std::string from_checkpoint(const fs::path& dir, const std::string& bytes) {
  std::ofstream(dir / "start.pt", std::ios::binary) << bytes;
  return run_of(
      dir, pipeline({{"width = 0.125", "checkpoint = \"" + (dir / "start.pt").string() + "\""}}));
}

std::string archive_bytes(const std::function<void(torch::serialize::OutputArchive&)>& fill) {
  torch::serialize::OutputArchive archive;
  fill(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

// A finished run of the base pipeline, shared by the cases that need one.
fs::path finished_run() {
  static const fs::path run = [] {
    const fs::path dir = test::temp_dir("catalogue-finished");
    test::write_text(dir / "p.toml", pipeline());
    const test::Ran r = test::gearhost("run " + (dir / "p.toml").string() + " --out " +
                                       (dir / "run").string() + " --log-level warn");
    EXPECT_EQ(r.code, 0) << r.output;
    return dir / "run";
  }();
  return run;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // ---- pipelines
      {"toml-syntax",
       "pipeline",
       "a key with no value (`kind =` then a broken table header)",
       [](const fs::path& d) { return validate_of(d, "kind =\n[run"); },
       2,
       {"p.toml:1:", "TOML syntax error"}},
      {"empty-file",
       "pipeline",
       "an empty pipeline file",
       [](const fs::path& d) { return validate_of(d, ""); },
       2,
       {"p.toml"}},
      {"missing-file",
       "pipeline",
       "a pipeline file that does not exist",
       [](const fs::path& d) { return "validate " + (d / "nowhere.toml").string(); },
       2,
       {"nowhere.toml"}},
      {"wrong-type",
       "pipeline",
       "`epochs = \"two\"` (a string for an integer)",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"epochs = 1", "epochs = \"two\""}}));
       },
       2,
       {"p.toml:", "stage.0.epochs", "expected integer"}},
      {"out-of-range",
       "pipeline",
       "`lr = 100` (the range is [0, 10])",
       [](const fs::path& d) { return validate_of(d, pipeline({}, "lr = 100\n")); },
       2,
       {"p.toml:", "stage.0.lr"}},
      {"negative-batch",
       "pipeline",
       "`batch_size = -4`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"batch_size = 32", "batch_size = -4"}}));
       },
       2,
       {"p.toml:", "data.batch_size"}},
      {"huge-integer",
       "pipeline",
       "`seed = 99999999999999999999` (beyond 64 bits)",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"seed = 1", "seed = 99999999999999999999"}}));
       },
       2,
       {"p.toml:", "TOML syntax error"}},
      {"huge-epochs",
       "pipeline",
       "`epochs = 1e308` (a float for an integer)",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"epochs = 1", "epochs = 1e308"}}));
       },
       2,
       {"p.toml:", "stage.0.epochs"}},
      {"zero-epoch-scale",
       "pipeline",
       "`run.epoch_scale = 0`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"threads = 1", "threads = 1\nepoch_scale = 0"}}));
       },
       2,
       {"p.toml:", "run.epoch_scale"}},
      {"val-split-above-one",
       "pipeline",
       "`data.val_split = 1.5`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"val_split = 0.2", "val_split = 1.5"}}));
       },
       2,
       {"p.toml:", "data.val_split"}},
      {"unknown-device",
       "pipeline",
       "`run.device = \"tpu\"`",
       [](const fs::path& d) {
         return run_of(d, pipeline({{"device = \"cpu\"", "device = \"tpu\""}}));
       },
       2,
       {"run.device", "tpu"}},
      {"fp16-on-cpu",
       "pipeline",
       "`run.precision = \"fp16\"` on a CPU",
       [](const fs::path& d) {
         return run_of(d, pipeline({{"threads = 1", "threads = 1\nprecision = \"fp16\""}}));
       },
       2,
       {"p.toml:", "run.precision", "fp16 training needs CUDA", "use bf16"}},
      {"wrong-unit",
       "pipeline",
       "`budget = { bytes = \"4 parsecs\" }`",
       [](const fs::path& d) {
         return validate_of(
             d, pipeline({{"width = 0.125", "width = 0.125\nbudget = { bytes = \"4 parsecs\" }"}}));
       },
       2,
       {"p.toml:", "budget.bytes"}},
      {"wrong-checkpoint-unit",
       "pipeline",
       "`run.checkpoint_every = \"5 hours\"`",
       [](const fs::path& d) {
         return validate_of(
             d, pipeline({{"threads = 1", "threads = 1\ncheckpoint_every = \"5 hours\""}}));
       },
       2,
       {"p.toml:", "run.checkpoint_every", "unknown unit"}},
      {"unknown-run-key",
       "pipeline",
       "`sed = 1` in [run] (a typo of seed)",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"seed = 1", "sed = 1"}}));
       },
       2,
       {"p.toml:", "run.sed", "seed"}},
      {"unknown-stage-key",
       "pipeline",
       "`epoch = 3` in a train stage",
       [](const fs::path& d) { return validate_of(d, pipeline({}, "epoch = 3\n")); },
       2,
       {"p.toml:", "stage.0.epoch"}},
      {"unknown-stage-kind",
       "pipeline",
       "`kind = \"trian\"`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"kind = \"train\"", "kind = \"trian\""}}));
       },
       2,
       {"p.toml:", "stage.0.kind", "train"}},
      {"unknown-dataset",
       "pipeline",
       "`data.plugin = \"fashion-mnst\"`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"\"fashion-mnist\"", "\"fashion-mnst\""}}));
       },
       2,
       {"p.toml:", "data.plugin", "fashion-mnist"}},
      {"unknown-architecture",
       "pipeline",
       "`architecture = \"vgg12\"`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({{"\"vgg11\"", "\"vgg12\""}}));
       },
       2,
       {"p.toml:", "model.architecture", "vgg11"}},
      {"unknown-augmentation",
       "pipeline",
       "`augmentation = \"agumix\"`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({}, "augmentation = \"agumix\"\n"));
       },
       2,
       {"p.toml:", "stage.0.augmentation", "augmix"}},
      {"unknown-objective",
       "pipeline",
       "`objective = \"cross_entropi\"`",
       [](const fs::path& d) {
         return validate_of(d, pipeline({}, "objective = \"cross_entropi\"\n"));
       },
       2,
       {"p.toml:", "stage.0.objective", "cross_entropy"}},
      {"no-stages",
       "pipeline",
       "a pipeline with no [[stage]]",
       [](const fs::path& d) {
         std::string t = pipeline();
         return validate_of(d, t.substr(0, t.find("[[stage]]")));
       },
       2,
       {"p.toml"}},
      {"override-unknown-stage",
       "pipeline",
       "override `stage.9.epochs=1` of a stage that does not exist",
       [](const fs::path& d) { return validate_of(d, pipeline()) + " stage.9.epochs=1"; },
       2,
       {"stage.9"}},
      {"override-without-value",
       "pipeline",
       "override `stage.0.epochs` with no `=`",
       [](const fs::path& d) { return validate_of(d, pipeline()) + " stage.0.epochs"; },
       2,
       {"stage.0.epochs"}},
      // ---- datasets
      {"data-folder-missing",
       "dataset",
       "`data.path` naming a folder that does not exist",
       [](const fs::path& d) { return run_of(d, pipeline({}, "", d / "no-such-data")); },
       2,
       {"no-such-data"}},
      {"images-truncated",
       "dataset",
       "a training images file cut short in its pixel data",
       [](const fs::path& d) {
         return run_of(d, pipeline({}, "",
                                   broken_data(d, "train-images-idx3-ubyte.gz",
                                               test_gzip(idx_bytes(0x803, {60, 28, 28}, 500)))));
       },
       2,
       {"train-images-idx3-ubyte.gz"}},
      {"wrong-magic",
       "dataset",
       "a labels file with the images' magic number",
       [](const fs::path& d) {
         return run_of(d, pipeline({}, "",
                                   broken_data(d, "train-labels-idx1-ubyte.gz",
                                               test_gzip(idx_bytes(0x803, {60}, 60)))));
       },
       2,
       {"train-labels-idx1-ubyte.gz", "magic"}},
      {"corrupt-gzip",
       "dataset",
       "a .gz file that is not gzip data",
       [](const fs::path& d) {
         return run_of(
             d,
             pipeline({}, "", broken_data(d, "t10k-images-idx3-ubyte.gz", std::string(200, 'x'))));
       },
       2,
       {"t10k-images-idx3-ubyte.gz"}},
      {"label-out-of-range",
       "dataset",
       "a label byte of 12 in a 10-class set",
       [](const fs::path& d) {
         return run_of(d, pipeline({}, "",
                                   broken_data(d, "train-labels-idx1-ubyte.gz",
                                               test_gzip(idx_bytes(0x801, {60}, 60, 12)))));
       },
       2,
       {"train-labels", "12"}},
      {"zero-images",
       "dataset",
       "files that declare 0 images",
       [](const fs::path& d) {
         const fs::path data = broken_data(d, "train-images-idx3-ubyte.gz",
                                           test_gzip(idx_bytes(0x803, {0, 28, 28}, 0)));
         std::ofstream(data / "train-labels-idx1-ubyte.gz", std::ios::binary | std::ios::trunc)
             << test_gzip(idx_bytes(0x801, {0}, 0));
         return run_of(d, pipeline({}, "", data));
       },
       2,
       {"fashion-mnist", "no training images"}},
      {"count-mismatch",
       "dataset",
       "60 labels for 59 images",
       [](const fs::path& d) {
         return run_of(d,
                       pipeline({}, "",
                                broken_data(d, "train-images-idx3-ubyte.gz",
                                            test_gzip(idx_bytes(0x803, {59, 28, 28}, 59 * 784)))));
       },
       2,
       {"59", "60"}},
      {"huge-header",
       "dataset",
       "an images header declaring 4294967295 images",
       [](const fs::path& d) {
         return run_of(
             d, pipeline({}, "",
                         broken_data(d, "train-images-idx3-ubyte.gz",
                                     test_gzip(idx_bytes(0x803, {0xFFFFFFFFu, 28, 28}, 784)))));
       },
       2,
       {"train-images-idx3-ubyte.gz"}},
      // ---- plugins
      {"plugin-wrong-abi",
       "plugin",
       "a plugin built for another plugin ABI",
       [](const fs::path& d) { return list_fixture(d, "wrong_abi"); },
       0,
       {"REFUSED", "gear_fixture_wrong_abi.so", "ABI"}},
      {"plugin-wrong-sdk",
       "plugin",
       "a plugin built against another SDK major version",
       [](const fs::path& d) { return list_fixture(d, "wrong_sdk"); },
       0,
       {"REFUSED", "gear_fixture_wrong_sdk.so", "SDK"}},
      {"plugin-missing-symbol",
       "plugin",
       "a shared library without GEAR's entry point",
       [](const fs::path& d) { return list_fixture(d, "no_entry"); },
       0,
       {"REFUSED", "gear_fixture_no_entry.so"}},
      {"plugin-throwing-registration",
       "plugin",
       "a plugin whose registration throws",
       [](const fs::path& d) { return list_fixture(d, "throws"); },
       0,
       {"REFUSED", "gear_fixture_throws.so", "registration boom"}},
      {"not-a-plugin",
       "plugin",
       "a text file named like a plugin (`gear_notes.so`)",
       [](const fs::path& d) {
         fs::create_directories(d / "plugins");
         test::write_text(d / "plugins" / "gear_notes.so", "not a shared library\n");
         return "list --plugin-path " + (d / "plugins").string();
       },
       0,
       {"REFUSED", "gear_notes.so"}},
      {"component-of-refused-plugin",
       "plugin",
       "a pipeline naming a component of a refused plugin",
       [](const fs::path& d) {
         list_fixture(d, "throws");
         return "--plugin-path " + (d / "plugins").string() + " " +
                validate_of(d, pipeline({}, "augmentation = \"fixture-half-registered\"\n"));
       },
       2,
       {"p.toml:", "stage.0.augmentation", "fixture-half-registered"}},
      // ---- checkpoints
      {"checkpoint-missing",
       "checkpoint",
       "`model.checkpoint` naming a file that does not exist",
       [](const fs::path& d) {
         return run_of(
             d, pipeline({{"width = 0.125", "checkpoint = \"" + (d / "gone.pt").string() + "\""}}));
       },
       2,
       {"model.checkpoint", "gone.pt"}},
      {"checkpoint-truncated",
       "checkpoint",
       "a checkpoint cut to half its bytes",
       [](const fs::path& d) {
         const std::string whole = test::read_text(finished_run() / "checkpoints/final.pt");
         return from_checkpoint(d, whole.substr(0, whole.size() / 2));
       },
       2,
       {"model.checkpoint", "start.pt"}},
      {"checkpoint-wrong-architecture",
       "checkpoint",
       "a checkpoint of resnet18 for a vgg11 model",
       [](const fs::path& d) {
         return from_checkpoint(
             d, archive_bytes([](torch::serialize::OutputArchive& a) {
               a.write("gear.architecture", c10::IValue(std::string("resnet18")));
               a.write("gear.input_shape", c10::IValue(std::vector<int64_t>{1, 28, 28}));
               a.write("gear.num_classes", c10::IValue(int64_t{10}));
               a.write("gear.groups", c10::IValue(c10::List<std::string>()));
               a.write("gear.widths", c10::IValue(std::vector<int64_t>{}));
               a.write("gear.stage", c10::IValue(int64_t{0}));
               a.write("gear.epoch", c10::IValue(int64_t{0}));
               a.write("gear.val_accuracy", c10::IValue(-1.0));
             }));
       },
       2,
       {"model.checkpoint", "resnet18", "vgg11"}},
      {"checkpoint-newer-format",
       "checkpoint",
       "a checkpoint of format 99 (a newer GEAR)",
       [](const fs::path& d) {
         return from_checkpoint(d, archive_bytes([](torch::serialize::OutputArchive& a) {
                                  a.write("gear.format", c10::IValue(int64_t{99}));
                                }));
       },
       2,
       {"model.checkpoint", "format 99", "newer"}},
      {"checkpoint-length-claim",
       "checkpoint",
       "a checkpoint whose data.pkl claims a 4 GB string (four flipped bytes)",
       [](const fs::path& d) {
         std::string bytes = test::read_text(finished_run() / "checkpoints/final.pt");
         const std::string value = std::string("X\x05\x00\x00\x00", 5) + "vgg11";
         const size_t at = bytes.find(value);
         if (at == std::string::npos) throw std::logic_error("final.pt holds no 'vgg11' string");
         bytes.replace(at + 1, 4, "\xe3\xff\xff\xff");
         return from_checkpoint(d, bytes);
       },
       2,
       {"model.checkpoint", "start.pt", "data.pkl", "claims 4294967267 bytes"}},
      {"checkpoint-not-torch",
       "checkpoint",
       "a text file as a checkpoint",
       [](const fs::path& d) { return from_checkpoint(d, "just text\n"); },
       2,
       {"model.checkpoint", "start.pt"}},
      // ---- run folders
      {"run-folder-existing",
       "run folder",
       "`--out` naming a finished run's folder",
       [](const fs::path& d) {
         test::write_text(d / "p.toml", pipeline());
         return "run " + (d / "p.toml").string() + " --out " + finished_run().string();
       },
       2,
       {"already holds a run", "--resume"}},
      {"run-folder-unwritable",
       "run folder",
       "`--out` under /proc (not writable)",
       [](const fs::path& d) {
         test::write_text(d / "p.toml", pipeline());
         return "run " + (d / "p.toml").string() + " --out /proc/gear-run";
       },
       2,
       {"cannot create run folder /proc/gear-run"}},
      {"resume-not-a-run",
       "run folder",
       "`--resume` of a folder that is not a run",
       [](const fs::path& d) { return "run --resume " + d.string(); },
       2,
       {"is not a run folder"}},
      {"resume-without-point",
       "run folder",
       "`--resume` of a run folder without resume.pt",
       [](const fs::path& d) {
         fs::copy(finished_run(), d / "copy", fs::copy_options::recursive);
         fs::remove(d / "copy/checkpoints/resume.pt");
         return "run --resume " + (d / "copy").string();
       },
       2,
       {"no checkpoints/resume.pt"}},
      // ---- command line
      {"seeds-zero",
       "command line",
       "`--seeds 0`",
       [](const fs::path& d) { return run_of(d, pipeline()) + " --seeds 0"; },
       2,
       {"--seeds", "at least 1"}},
      {"jobs-without-seeds",
       "command line",
       "`--jobs 2` without seeds",
       [](const fs::path& d) { return run_of(d, pipeline()) + " --jobs 2"; },
       2,
       {"--jobs"}},
      {"unknown-subcommand",
       "command line",
       "`gearhost trian`",
       [](const fs::path&) { return std::string("trian"); },
       2,
       {"unknown command 'trian'"}},
      {"resume-with-override",
       "command line",
       "`--resume DIR stage.0.epochs=9`",
       [](const fs::path&) {
         return "run --resume " + finished_run().string() + " stage.0.epochs=9";
       },
       2,
       {"a resumed run keeps its pipeline"}},
      // ---- data parallelism
      {"nproc-zero",
       "command line",
       "`--nproc 0`",
       [](const fs::path& d) { return run_of(d, pipeline()) + " --nproc 0"; },
       2,
       {"--nproc", "must be at least 1, got 0"}},
      {"nproc-port-in-use",
       "command line",
       "`--nproc 2 --master-port P` with P taken by another program",
       [](const fs::path& d) {
         // Held open until this test process ends: the port stays taken while gearhost runs.
         static const test::HeldPort* held = new test::HeldPort();
         return run_of(d, pipeline()) + " --nproc 2 --master-port " + std::to_string(held->port());
       },
       2,
       {"cannot host the ranks' rendezvous store on 127.0.0.1:", "in use?"}},
      {"nproc-with-seeds",
       "command line",
       "`--nproc 2 --seeds 3`",
       [](const fs::path& d) { return run_of(d, pipeline()) + " --nproc 2 --seeds 3"; },
       2,
       {"--nproc", "a seed group (--seeds or run.seeds) is several runs"}},
      {"rank-timeout-zero",
       "command line",
       "`--nproc 2 --rank-timeout 0`",
       [](const fs::path& d) { return run_of(d, pipeline()) + " --nproc 2 --rank-timeout 0"; },
       2,
       {"--rank-timeout", "must be positive seconds"}},
  };
  return all;
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// docs/errors.md: the catalogue as a table, from the cases above.
std::string catalogue_markdown() {
  std::string out =
      "# Bad input: the catalogue\n\n"
      "Every row is a test (`tests/errors/bad_input_catalogue_test.cpp`): it writes the input, "
      "runs `gearhost` and checks the exit code and that the message contains each fragment. "
      "Exit codes: 0 done (a refused plugin is reported by "
      "`gearhost list`, not an error), 1 a run that failed, 2 bad input. This file is generated "
      "from the tests: `GEAR_WRITE_ERRORS_DOC=1 build/bin/gear_errors_tests` rewrites it, and a "
      "test fails when it is out of date.\n\n"
      "| # | id | category | input | exit | the message contains |\n"
      "|---:|---|---|---|---:|---|\n";
  int n = 0;
  for (const Case& c : cases()) {
    std::string fragments;
    for (const auto& f : c.fragments)
      fragments += (fragments.empty() ? "" : ", ") + ("`" + f + "`");
    out += "| " + std::to_string(++n) + " | " + c.id + " | " + c.category + " | " +
           markdown_cell(c.input) + " | " + std::to_string(c.code) + " | " +
           markdown_cell(fragments) + " |\n";
  }
  return out;
}

class Catalogue : public ::testing::TestWithParam<size_t> {};

TEST_P(Catalogue, EndsWithItsCodeAndAMessageNamingWhere) {
  const Case& c = cases()[GetParam()];
  const fs::path dir = test::temp_dir("catalogue-" + c.id);
  const std::string args = c.setup(dir);
  const test::Ran r = test::gearhost(args);
  EXPECT_EQ(r.code, c.code) << c.id << ": gearhost " << args << "\n" << r.output;
  for (const auto& fragment : c.fragments)
    EXPECT_NE(r.output.find(fragment), std::string::npos)
        << c.id << ": no '" << fragment << "' in\n"
        << r.output;
  // Never a crash or a C++ stack trace, whatever the input.
  EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  // A run refused as bad input before its first stage leaves no folder behind.
  if (c.code == 2 && fs::exists(dir / "p.toml") &&
      args.find("--out " + (dir / "run").string()) != std::string::npos) {
    EXPECT_FALSE(fs::exists(dir / "run")) << c.id << " left " << (dir / "run");
  }
}

INSTANTIATE_TEST_SUITE_P(BadInput, Catalogue, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string name = cases()[info.param].id;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(Catalogue, HasAtLeastFortyCasesWithUniqueIds) {
  std::set<std::string> ids;
  for (const Case& c : cases()) EXPECT_TRUE(ids.insert(c.id).second) << c.id;
  EXPECT_GE(cases().size(), 40u);
}

TEST(Catalogue, DocsErrorsMdIsTheTable) {
  const fs::path doc = fs::path(GEAR_SOURCE_DIR) / "docs" / "errors.md";
  const std::string expected = catalogue_markdown();
  if (std::getenv("GEAR_WRITE_ERRORS_DOC")) test::write_text(doc, expected);
  EXPECT_EQ(test::read_text(doc), expected)
      << "docs/errors.md is out of date: GEAR_WRITE_ERRORS_DOC=1 build/bin/gear_errors_tests";
}

}  // namespace
}  // namespace gear
