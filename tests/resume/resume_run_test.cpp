// gearhost killed, stopped and failing on purpose, then resumed: the final weights are those of
// a run never stopped, bit for bit, with the same metrics.csv rows; faults end with a message
// naming where, and leave every checkpoint readable.

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gear/host/checkpoint.h"
#include "spawned_gearhost.h"
#include "test_support.h"

namespace gear {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Gearhost = test::SpawnedGearhost;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// metrics.csv without the columns that time the run (seconds, images/s, energy).
std::vector<std::vector<std::string>> deterministic_rows(const fs::path& csv) {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> keep;
  for (const std::vector<std::string>& fields : test::read_csv(csv)) {
    if (keep.empty())
      for (const auto& name : fields)
        keep.push_back(name != "seconds" && name != "images_per_second" && name != "energy_joules");
    std::vector<std::string> row;
    for (size_t i = 0; i < fields.size() && i < keep.size(); ++i)
      if (keep[i]) row.push_back(fields[i]);
    rows.push_back(row);
  }
  return rows;
}

// When `path` was last written, or the earliest time there is while it does not exist.
fs::file_time_type written_at(const fs::path& path) {
  std::error_code error;
  const fs::file_time_type time = fs::last_write_time(path, error);
  return error ? fs::file_time_type::min() : time;
}

bool log_has(const fs::path& log, const std::string& text) {
  return read_text(log).find(text) != std::string::npos;
}

// Waits (at most 3 minutes) until `log` holds `text`: the moment a test stops a run at.
void wait_until_logged(const fs::path& log, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (!log_has(log, text) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(log_has(log, text)) << "never logged: " << text;
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (dir_) return;
    dir_ = new fs::path(test::temp_dir("resume-e2e"));
    test::write_tiny_fashion(*dir_ / "data", 800, 100);
    // Batch split on 2 threads, a grow stage, and a stage drawing augmentations: every source
    // of state a resumed run must restore.
    test::write_text(*dir_ / "p.toml", R"([run]
seed = 4
device = "cpu"
threads = 2
[data]
plugin = "fashion-mnist"
path = ")" + (*dir_ / "data").string() + R"("
batch_size = 32
val_split = 0.2
[model]
architecture = "vgg11"
width = 0.125
[[stage]]
kind = "train"
epochs = 3
lr = 0.05
[[stage]]
kind = "grow"
strategy = "osg"
gamma = 0.5
candidates = 4
batches = 4
[[stage]]
kind = "train"
epochs = 2
lr = 0.02
augmentation = { name = "era", padding = 2 }
)");
  }

  // The uninterrupted run everything is compared with, run once per test process on first use.
  static const fs::path& reference_run() {
    static const fs::path reference = [] {
      const fs::path out = *dir_ / "reference";
      Gearhost run({"run", (*dir_ / "p.toml").string(), "--out", out.string()},
                   *dir_ / "reference.txt");
      EXPECT_EQ(run.wait(), 0) << read_text(*dir_ / "reference.txt");
      return out;
    }();
    return reference;
  }

  // Resumes `run` until it completes (at most `tries` times); returns the resumes it took.
  static int resume_to_end(const fs::path& run, int tries = 12) {
    for (int i = 1; i <= tries; ++i) {
      Gearhost resumed({"run", "--resume", run.string()}, run.string() + ".txt");
      const int code = resumed.wait();
      if (code == 0) return i;
      ADD_FAILURE() << "resume " << i << " exited " << code << "\n"
                    << read_text(run.string() + ".txt");
      return -1;
    }
    return -1;
  }

  static void expect_same_as_reference(const fs::path& run) {
    const fs::path& reference = reference_run();
    EXPECT_EQ(test::summary_of(run)["status"], "completed");
    EXPECT_TRUE(read_text(run / "checkpoints/final.pt") ==
                read_text(reference / "checkpoints/final.pt"))
        << "final weights differ from the uninterrupted run's";
    EXPECT_EQ(deterministic_rows(run / "metrics.csv"),
              deterministic_rows(reference / "metrics.csv"));
    EXPECT_EQ(test::summary_of(run)["final"]["clean_accuracy"],
              test::summary_of(reference)["final"]["clean_accuracy"]);
    EXPECT_EQ(read_text(run / "stages.json").empty(), false);
  }

  static inline fs::path* dir_ = nullptr;
};

TEST_F(Resume, KilledAtRandomMomentsEndsBitIdentical) {
  const fs::path run = *dir_ / "killed";
  const fs::path point = run / "checkpoints/resume.pt";
  std::mt19937 draw(2026);
  // Points inside epochs too: the kills land mid-epoch as well as between stages.
  const std::vector<std::string> args = {"run", (*dir_ / "p.toml").string(), "--out", run.string(),
                                         "run.checkpoint_every=\"0.3 s\""};
  // Each kill lands a seeded delay after the process's first new resume point, before or past
  // its next one (0.3 s apart): timing kills by a share of the reference run's wall time let a
  // run finish before its first kill when the reference had run under heavier load.
  std::uniform_real_distribution<double> delay(0.0, 0.45);
  int kills = 0;
  for (int attempt = 0; attempt < 8 && kills < 3; ++attempt) {
    std::vector<std::string> a =
        attempt == 0 ? args : std::vector<std::string>{"run", "--resume", run.string()};
    const fs::file_time_type before = written_at(point);
    Gearhost process(a, run.string() + ".txt");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (process.running() && written_at(point) <= before &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(draw)));
    if (!process.running()) break;
    process.signal(SIGKILL);
    EXPECT_EQ(process.wait(), 128 + SIGKILL);
    ++kills;
    ASSERT_TRUE(fs::exists(point));
  }
  EXPECT_GE(kills, 2);
  EXPECT_GT(resume_to_end(run), 0);
  std::printf("%d kills; resumed at %s\n", kills, test::summary_of(run)["resumes"].dump().c_str());
  expect_same_as_reference(run);
  // A resumed process killed before its first point leaves no entry; the last one always does.
  EXPECT_GE(test::summary_of(run)["resumes"].size(), 1u);
}

TEST_F(Resume, KilledInsideTheGrowStageRestartsIt) {
  const fs::path run = *dir_ / "grow-kill";
  {
    Gearhost process({"run", (*dir_ / "p.toml").string(), "--out", run.string()},
                     run.string() + ".txt");
    wait_until_logged(run / "log.txt", "stage 1 (grow: osg) starts");
    process.signal(SIGKILL);
    process.wait();
  }
  EXPECT_EQ(test::summary_of(run)["stages"].size(), 1u) << "killed after the grow stage";
  EXPECT_EQ(resume_to_end(run), 1);
  expect_same_as_reference(run);
  EXPECT_EQ(test::summary_of(run)["resumes"][0]["stage"], 1);
}

TEST_F(Resume, KilledWhileWritingAResumePointKeepsThePreviousOne) {
  const fs::path run = *dir_ / "write-kill";
  Gearhost process({"run", (*dir_ / "p.toml").string(), "--out", run.string()},
                   run.string() + ".txt", {"GEAR_FAULT_KILL_WRITING=resume.pt:3"});
  EXPECT_EQ(process.wait(), 128 + SIGKILL);
  bool torn = false;
  for (const auto& entry : fs::directory_iterator(run / "checkpoints"))
    torn |= entry.path().filename().string().find(".tmp.") != std::string::npos;
  EXPECT_TRUE(torn) << "the kill did not land inside a write";
  // The third point (after epoch 2) was being written: the second (the initial net's was the
  // first), after epoch 1, is the one there.
  const host::ResumePoint point = host::read_resume_point(run / "checkpoints/resume.pt");
  EXPECT_EQ(point.state["train"]["epoch"], 1);
  EXPECT_EQ(resume_to_end(run), 1);
  expect_same_as_reference(run);
  for (const auto& entry : fs::directory_iterator(run / "checkpoints"))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
        << "the resumed run left " << entry.path();
}

TEST_F(Resume, SigintAndSigtermRecordAPointAndExit130And143) {
  for (const int signal : {SIGINT, SIGTERM}) {
    const fs::path run = *dir_ / ("signal-" + std::to_string(signal));
    Gearhost process({"run", (*dir_ / "p.toml").string(), "--out", run.string()},
                     run.string() + ".txt");
    wait_until_logged(run / "log.txt", "stage 0 epoch 1/3");
    process.signal(signal);
    EXPECT_EQ(process.wait(), 128 + signal) << read_text(run.string() + ".txt");
    const json summary = test::summary_of(run);
    EXPECT_EQ(summary["status"], "interrupted");
    EXPECT_EQ(summary["resume"], "gearhost run --resume " + run.string());
    const std::string output = read_text(run.string() + ".txt");
    EXPECT_NE(output.find("resume with: gearhost run --resume " + run.string()), std::string::npos)
        << output;
    EXPECT_NE(output.find("stopping after the current step"), std::string::npos) << output;
    EXPECT_EQ(resume_to_end(run), 1);
    expect_same_as_reference(run);
  }
}

TEST_F(Resume, BadResumeRequestsAreRefusedWithExit2) {
  reference_run();
  const fs::path output = *dir_ / "bad-resume.txt";
  auto run = [&](const std::vector<std::string>& args) {
    Gearhost process(args, output);
    return process.wait();
  };
  EXPECT_EQ(run({"run", "--resume", (*dir_ / "nowhere").string()}), 2);
  EXPECT_NE(read_text(output).find("is not a run folder"), std::string::npos);
  EXPECT_EQ(run({"run", "--resume", (*dir_ / "reference").string(), "stage.0.epochs=9"}), 2);
  EXPECT_NE(read_text(output).find("a resumed run keeps its pipeline"), std::string::npos);
  EXPECT_EQ(run({"run", (*dir_ / "p.toml").string(), "--resume", (*dir_ / "reference").string()}),
            2);
  // A finished run's folder is not reused by a new run.
  EXPECT_EQ(run({"run", (*dir_ / "p.toml").string(), "--out", (*dir_ / "reference").string()}), 2);
  EXPECT_NE(read_text(output).find("already holds a run"), std::string::npos);
  // An edited pipeline.resolved.toml no longer matches what the run recorded.
  const fs::path edited = *dir_ / "edited";
  fs::copy(*dir_ / "reference", edited, fs::copy_options::recursive);
  std::string toml = read_text(edited / "pipeline.resolved.toml");
  toml.replace(toml.find("lr = 0.02"), 9, "lr = 0.03");
  test::write_text(edited / "pipeline.resolved.toml", toml);
  EXPECT_EQ(run({"run", "--resume", edited.string()}), 2);
  EXPECT_NE(read_text(output).find("no longer resolves"), std::string::npos);
  // A folder with no resume point.
  fs::remove(edited / "checkpoints/resume.pt");
  test::write_text(edited / "pipeline.resolved.toml",
                   read_text(*dir_ / "reference/pipeline.resolved.toml"));
  EXPECT_EQ(run({"run", "--resume", edited.string()}), 2);
  EXPECT_NE(read_text(output).find("no checkpoints/resume.pt"), std::string::npos);
}

TEST_F(Resume, ASeedGroupKilledMidwayResumesOnlyWhatWasUnfinished) {
  reference_run();
  const fs::path group = *dir_ / "group";
  {
    // Seeds 4 (the reference's) and 5, one after the other; killed while seed 5 trains.
    Gearhost process(
        {"run", (*dir_ / "p.toml").string(), "run.seeds=[4, 5]", "--out", group.string()},
        group.string() + ".txt");
    wait_until_logged(group / "seed-5/log.txt", "stage 0 epoch 2/3");
    process.signal_group(SIGKILL);
    process.wait();
  }
  const auto seed4_time = fs::last_write_time(group / "seed-4/summary.json");
  EXPECT_EQ(test::summary_of(group / "seed-5")["status"], "running");
  Gearhost resumed({"run", "--resume", group.string()}, group.string() + ".txt");
  ASSERT_EQ(resumed.wait(), 0) << read_text(group.string() + ".txt");
  const json record = nlohmann::json::parse(std::ifstream(group / "group.json"));
  EXPECT_EQ(record["status"], "completed");
  EXPECT_EQ(record["final"]["clean_accuracy"]["n"], 2);
  EXPECT_EQ(fs::last_write_time(group / "seed-4/summary.json"), seed4_time)
      << "the completed seed ran again";
  EXPECT_EQ(test::summary_of(group / "seed-5")["resumes"].size(), 1u);
  // Seed 4 is the reference's pipeline and seed: the same weights.
  EXPECT_TRUE(read_text(group / "seed-4/checkpoints/final.pt") ==
              read_text(*dir_ / "reference/checkpoints/final.pt"));
}

TEST_F(Resume, KilledAfterPruningContinuesAtThePrunedWidths) {
  const fs::path file = *dir_ / "prune.toml";
  std::string toml = read_text(*dir_ / "p.toml");
  toml = toml.substr(0, toml.find("[[stage]]")) + R"([[stage]]
kind = "train"
epochs = 2
lr = 0.05
[[stage]]
kind = "prune"
pruner = "taylor"
target = { params = 0.5 }
[[stage]]
kind = "train"
epochs = 3
lr = 0.02
)";
  test::write_text(file, toml);
  const fs::path reference = *dir_ / "prune-reference", run = *dir_ / "prune-killed";
  Gearhost whole({"run", file.string(), "--out", reference.string()}, reference.string() + ".txt");
  ASSERT_EQ(whole.wait(), 0) << read_text(reference.string() + ".txt");
  {
    Gearhost process({"run", file.string(), "--out", run.string()}, run.string() + ".txt");
    wait_until_logged(run / "log.txt", "stage 2 epoch 1/3");
    process.signal(SIGKILL);
    process.wait();
  }
  const host::ResumePoint point = host::read_resume_point(run / "checkpoints/resume.pt");
  const json widths = test::summary_of(reference)["final"]["widths"];
  EXPECT_EQ(json(point.meta.widths), widths) << "the point is not at the pruned widths";
  EXPECT_EQ(resume_to_end(run), 1);
  EXPECT_TRUE(read_text(run / "checkpoints/final.pt") ==
              read_text(reference / "checkpoints/final.pt"));
  EXPECT_EQ(deterministic_rows(run / "metrics.csv"), deterministic_rows(reference / "metrics.csv"));
  // The cost before pruning was measured by the killed process: the resumed one carries it.
  const json cost = test::summary_of(run)["final"]["cost"];
  EXPECT_EQ(cost["unpruned"]["params"],
            test::summary_of(reference)["final"]["cost"]["unpruned"]["params"]);
  EXPECT_GT(cost["unpruned"]["params"].get<double>(), cost["pruned"]["params"].get<double>());
}

// A pipeline training with the fault fixture's augmentation.
fs::path fault_pipeline(const fs::path& dir, const std::string& fault, int call) {
  const fs::path file = dir / ("fault-" + fault + ".toml");
  test::write_text(
      file, test::tiny_run_and_data(dir / "data", 1) +
                test::tiny_vgg_training("0.125", 2,
                                        "augmentation = { name = \"fixture-fault\", fault = \"" +
                                            fault + "\", call = " + std::to_string(call) + " }\n"));
  return file;
}

TEST_F(Resume, ANanLossFailsTheStageNamingEpochAndStep) {
  const fs::path run = *dir_ / "nan";
  // 640 training images in batches of 32: 20 steps per epoch, so call 25 is step 5 of epoch 2.
  Gearhost process({"run", fault_pipeline(*dir_, "nan", 25).string(), "--out", run.string()},
                   run.string() + ".txt");
  EXPECT_EQ(process.wait(), 1);
  const json summary = test::summary_of(run);
  EXPECT_EQ(summary["status"], "failed");
  const std::string error = summary["error"];
  EXPECT_NE(error.find("stage 0 (train) epoch 2 step 5: the loss is nan"), std::string::npos)
      << error;
  // The last good point is epoch 1's, with finite weights.
  const host::ResumePoint point = host::read_resume_point(run / "checkpoints/resume.pt");
  EXPECT_EQ(point.state["train"]["epoch"], 1);
  EXPECT_TRUE(fs::exists(run / "checkpoints/last.pt"));
}

TEST_F(Resume, APluginCrashNamesTheStageInTheLogBeforeDying) {
  for (const auto& [fault, signal, name] :
       {std::tuple{"segv", SIGSEGV, "SIGSEGV"}, std::tuple{"abort", SIGABRT, "SIGABRT"}}) {
    const fs::path run = *dir_ / (std::string("crash-") + fault);
    Gearhost process({"run", fault_pipeline(*dir_, fault, 30).string(), "--out", run.string()},
                     run.string() + ".txt");
    EXPECT_EQ(process.wait(), 128 + signal);
    const std::string note = std::string("crashed with ") + name;
    for (const fs::path& where : {fs::path(run.string() + ".txt"), run / "log.txt"}) {
      const std::string text = read_text(where);
      EXPECT_NE(text.find(note), std::string::npos) << where << "\n" << text;
      EXPECT_NE(text.find("in stage 0 (train), architecture vgg11"), std::string::npos) << text;
      EXPECT_NE(text.find("gearhost run --resume " + run.string()), std::string::npos) << text;
    }
    // What was finished is there and readable: the point after epoch 1.
    EXPECT_EQ(host::read_resume_point(run / "checkpoints/resume.pt").state["train"]["epoch"], 1);
  }
}

TEST_F(Resume, APluginThatThrowsIsNamed) {
  const fs::path run = *dir_ / "throw";
  Gearhost process({"run", fault_pipeline(*dir_, "throw", 3).string(), "--out", run.string()},
                   run.string() + ".txt");
  EXPECT_EQ(process.wait(), 1);
  const std::string error = test::summary_of(run)["error"];
  EXPECT_NE(error.find("fixture fault in augment()"), std::string::npos) << error;
}

TEST_F(Resume, AFullDiskNamesTheFileAndLeavesNoTornCheckpoint) {
  const fs::path disk = *dir_ / "small-disk";
  fs::create_directories(disk);
  // A 1 MiB tmpfs where this process may mount one (root); otherwise, as the same test, a file
  // size limit (bash's ulimit -f) that makes writes past it fail as on a full disk.
  const bool mounted = geteuid() == 0 && ::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=1m") == 0;
  const fs::path run = disk / "run";
  const std::string command = std::string(mounted ? "" : "trap '' XFSZ; ulimit -f 512; ") +
                              "exec " + GEARHOST_EXE + " run " + (*dir_ / "p.toml").string() +
                              " --out " + run.string() + " > " + (*dir_ / "disk.txt").string() +
                              " 2>&1";
  const int code = std::system(("bash -c \"" + command + "\"").c_str());
  EXPECT_EQ(WEXITSTATUS(code), 1) << read_text(*dir_ / "disk.txt");
  const std::string output = read_text(*dir_ / "disk.txt");
  EXPECT_NE(output.find("cannot write " + run.string()), std::string::npos) << output;
  EXPECT_NE(output.find(mounted ? "No space left on device" : "File too large"), std::string::npos)
      << output;
  for (const auto& entry : fs::recursive_directory_iterator(run)) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << "left behind: " << entry.path();
    if (entry.path().extension() == ".pt") {
      EXPECT_NO_THROW(host::read_checkpoint_meta(entry.path())) << entry.path();
    }
  }
  if (mounted) ::umount(disk.c_str());
}

}  // namespace
}  // namespace gear
