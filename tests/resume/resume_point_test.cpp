// The pieces a resumed run is built from: the checkpoint policy, resume points and the format
// number, durable writes that fail cleanly, a batch stream continued mid-epoch and a training
// epoch paused and continued.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "gear/host/checkpoint.h"
#include "gear/host/checkpoint_policy.h"
#include "gear/host/data_stream.h"
#include "gear/host/generator_state.h"
#include "gear/host/optim.h"
#include "gear/host/run_folder.h"
#include "gear/host/train_options.h"
#include "gear/host/trainer.h"
#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;

TEST(CheckpointPolicy, ReadsEpochsMinutesSecondsAndOff) {
  EXPECT_EQ(parse_checkpoint_policy("1 epoch").epochs, 1);
  EXPECT_EQ(parse_checkpoint_policy("5 epochs").epochs, 5);
  EXPECT_EQ(parse_checkpoint_policy("5 epochs").seconds, 0.0);
  EXPECT_DOUBLE_EQ(parse_checkpoint_policy("10 min").seconds, 600.0);
  EXPECT_EQ(parse_checkpoint_policy("10 min").epochs, 0);
  EXPECT_DOUBLE_EQ(parse_checkpoint_policy("90 s").seconds, 90.0);
  EXPECT_DOUBLE_EQ(parse_checkpoint_policy("1.5 min").seconds, 90.0);
  const CheckpointPolicy off = parse_checkpoint_policy("off");
  EXPECT_EQ(off.epochs, 0);
  EXPECT_EQ(off.seconds, 0.0);
  EXPECT_FALSE(off.due_after_epoch(1));
  EXPECT_FALSE(off.due_after(1e9));
}

TEST(CheckpointPolicy, RefusesWhatIsNotAPolicy) {
  for (const char* bad :
       {"", "epochs", "0 epochs", "-1 min", "1.5 epochs", "5 hours", "5", "nan s"})
    EXPECT_FALSE(checkpoint_policy_error(bad).empty()) << bad;
  EXPECT_NE(checkpoint_policy_error("5 hours").find("unknown unit"), std::string::npos);
  EXPECT_THROW(parse_checkpoint_policy("0 s"), std::invalid_argument);
  EXPECT_TRUE(checkpoint_policy_error("2 epochs").empty());
}

TEST(CheckpointPolicy, DueEveryNthEpochAndAfterTheTime) {
  const CheckpointPolicy every3 = parse_checkpoint_policy("3 epochs");
  EXPECT_FALSE(every3.due_after_epoch(1));
  EXPECT_FALSE(every3.due_after_epoch(2));
  EXPECT_TRUE(every3.due_after_epoch(3));
  EXPECT_FALSE(every3.due_after_epoch(4));
  EXPECT_TRUE(every3.due_after_epoch(6));
  EXPECT_FALSE(every3.due_after(1e9));  // an epoch policy is not a time policy
  const CheckpointPolicy minute = parse_checkpoint_policy("1 min");
  EXPECT_FALSE(minute.due_after(59.9));
  EXPECT_TRUE(minute.due_after(60.0));
  EXPECT_FALSE(minute.due_after_epoch(1));
}

std::shared_ptr<GrowableNet> tiny_net() {
  torch::manual_seed(7);
  return test::build_net("vgg11", {1, 28, 28}, 0.0625);
}

CheckpointMeta meta_of(GrowableNet& net) {
  return {"vgg11", {1, 28, 28}, 10, net.group_names(), net.widths(), 4, 2, 0.5};
}

TEST(ResumePoint, KeepsStateTensorsAndMeta) {
  const fs::path dir = test::temp_dir("resume-point");
  auto net = tiny_net();
  ResumePoint point;
  point.meta = meta_of(*net);
  point.state = {{"next_stage", 3}, {"metrics", {{{"epoch", 1}}}}};
  point.tensors["rng.cpu"] = default_generator_states().at("cpu");
  point.tensors["train.loss_sum"] = torch::tensor({1.25f});
  save_resume_point(*net, point, dir / "resume.pt");
  const ResumePoint read = read_resume_point(dir / "resume.pt");
  EXPECT_EQ(read.state, point.state);
  EXPECT_EQ(read.meta.widths, net->widths());
  EXPECT_EQ(read.meta.stage, 4);
  EXPECT_EQ(read.meta.epoch, 2);
  ASSERT_EQ(read.tensors.size(), 2u);
  EXPECT_TRUE(torch::equal(read.tensors.at("rng.cpu"), point.tensors.at("rng.cpu")));
  EXPECT_TRUE(torch::equal(read.tensors.at("train.loss_sum"), point.tensors.at("train.loss_sum")));
  // The net's tensors are there too, under their own names.
  auto other = tiny_net();
  for (auto& p : other->parameters()) p.data().zero_();
  load_checkpoint_tensors(*other, dir / "resume.pt");
  auto a = net->parameters(), b = other->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

TEST(ResumePoint, APlainCheckpointIsNotOne) {
  const fs::path dir = test::temp_dir("resume-plain");
  auto net = tiny_net();
  save_checkpoint(*net, meta_of(*net), dir / "last.pt");
  try {
    read_resume_point(dir / "last.pt");
    FAIL() << "a plain checkpoint read as a resume point";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a resume point"), std::string::npos) << e.what();
  }
}

TEST(ResumePoint, NonFiniteWeightsAreFoundByName) {
  auto net = tiny_net();
  EXPECT_EQ(first_non_finite_parameter(*net), "");
  auto params = net->named_parameters();
  const std::string last = params.keys().back();
  {
    torch::NoGradGuard no_grad;
    params[last].view(-1)[0] = std::numeric_limits<float>::infinity();
  }
  EXPECT_EQ(first_non_finite_parameter(*net), last);
  {
    torch::NoGradGuard no_grad;
    params[last].view(-1)[0] = 0.0f;
    params[params.keys().front()].view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  }
  EXPECT_EQ(first_non_finite_parameter(*net), params.keys().front());
}

TEST(ResumePoint, GeneratorStatesRoundTrip) {
  torch::manual_seed(11);
  const auto states = default_generator_states();
  const torch::Tensor first = torch::rand({4});
  torch::rand({100});
  restore_default_generator_states(states);
  EXPECT_TRUE(torch::equal(torch::rand({4}), first));
  EXPECT_THROW(restore_default_generator_states({{"cuda:99", states.at("cpu")}}),
               std::runtime_error);
}

TEST(CheckpointFormat, ANewerFormatIsRefusedSayingSo) {
  const fs::path dir = test::temp_dir("format");
  auto net = tiny_net();
  save_checkpoint(*net, meta_of(*net), dir / "now.pt");
  EXPECT_EQ(read_checkpoint_meta(dir / "now.pt").widths, net->widths());
  torch::serialize::OutputArchive archive;
  archive.write("gear.format", c10::IValue(kCheckpointFormat + 1));
  archive.write("gear.architecture", c10::IValue(std::string("vgg11")));
  archive.save_to((dir / "newer.pt").string());
  try {
    read_checkpoint_meta(dir / "newer.pt");
    FAIL() << "a newer format was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(kCheckpointFormat + 1)), std::string::npos);
  }
}

// A resume point whose parts have the wrong type or are missing: each is refused with a
// runtime_error that names what is wrong, never a LibTorch type assertion.
TEST(ResumePoint, MalformedPartsAreRefusedByName) {
  const fs::path dir = test::temp_dir("resume-malformed");
  auto write = [&](const std::string& name,
                   const std::function<void(torch::serialize::OutputArchive&)>& extra) {
    torch::serialize::OutputArchive archive;
    archive.write("gear.format", c10::IValue(kCheckpointFormat));
    archive.write("gear.architecture", c10::IValue(std::string("vgg11")));
    archive.write("gear.input_shape", c10::IValue(std::vector<int64_t>{1, 28, 28}));
    archive.write("gear.num_classes", c10::IValue(int64_t{10}));
    c10::List<std::string> groups;
    groups.push_back("conv0");
    archive.write("gear.groups", c10::IValue(groups));
    archive.write("gear.widths", c10::IValue(std::vector<int64_t>{4}));
    archive.write("gear.stage", c10::IValue(int64_t{1}));
    archive.write("gear.epoch", c10::IValue(int64_t{2}));
    archive.write("gear.val_accuracy", c10::IValue(0.5));
    extra(archive);
    archive.save_to((dir / name).string());
    return dir / name;
  };
  auto error_of = [](const fs::path& path) -> std::string {
    try {
      read_resume_point(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("not a runtime_error: ") + e.what();
    }
    return "(read)";
  };
  auto names = [](std::initializer_list<const char*> items) {
    c10::List<std::string> list;
    for (const char* item : items) list.push_back(item);
    return c10::IValue(list);
  };
  const std::string state = R"({"next_stage": 1})";
  EXPECT_NE(error_of(write("int-state.pt",
                           [](auto& a) { a.write("gear.resume.state", c10::IValue(int64_t{3})); }))
                .find("is a checkpoint, not a resume point"),
            std::string::npos);
  EXPECT_NE(error_of(write("bad-json.pt",
                           [](auto& a) {
                             a.write("gear.resume.state", c10::IValue(std::string("{oops")));
                           }))
                .find("has a corrupt state"),
            std::string::npos);
  EXPECT_NE(error_of(write("no-list.pt",
                           [&](auto& a) { a.write("gear.resume.state", c10::IValue(state)); }))
                .find("lists no tensors"),
            std::string::npos);
  EXPECT_NE(error_of(write("string-list.pt",
                           [&](auto& a) {
                             a.write("gear.resume.state", c10::IValue(state));
                             a.write("gear.resume.tensors", c10::IValue(std::string("rng.cpu")));
                           }))
                .find("lists no tensors"),
            std::string::npos);
  EXPECT_NE(error_of(write("missing.pt",
                           [&](auto& a) {
                             a.write("gear.resume.state", c10::IValue(state));
                             a.write("gear.resume.tensors", names({"rng.cpu"}));
                           }))
                .find("lacks tensor 'rng.cpu'"),
            std::string::npos);
  // The same file with its tensor is read, with the metadata as written.
  const fs::path whole = write("whole.pt", [&](auto& a) {
    a.write("gear.resume.state", c10::IValue(state));
    a.write("gear.resume.tensors", names({"rng.cpu"}));
    a.write("gear.resume.tensor.rng.cpu", torch::arange(3), true);
  });
  const ResumePoint point = read_resume_point(whole);
  EXPECT_EQ(point.state.at("next_stage"), 1);
  EXPECT_TRUE(torch::equal(point.tensors.at("rng.cpu"), torch::arange(3)));
  EXPECT_EQ(point.meta.stage, 1);
  EXPECT_EQ(point.meta.epoch, 2);
  EXPECT_EQ(point.meta.groups, (std::vector<std::string>{"conv0"}));
}

// In a child limited to `limit` bytes per file (SIGXFSZ ignored, so writes fail with EFBIG), as
// on a full disk: write `text` over `path`; returns the error message, or "" when it was written.
std::string write_limited(const fs::path& path, const std::string& text, rlim_t limit) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit cap{limit, limit};
    setrlimit(RLIMIT_FSIZE, &cap);
    std::string message;
    try {
      write_file_atomic(path, text);
    } catch (const std::exception& e) {
      message = e.what();
    }
    if (write(pipe_fds[1], message.data(), message.size()) < 0) _exit(2);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return message;
}

TEST(DurableWrite, AFullDiskKeepsTheOldFileAndLeavesNoTemporary) {
  const fs::path dir = test::temp_dir("durable");
  const fs::path file = dir / "summary.json";
  write_file_atomic(file, "old contents\n");
  const std::string message = write_limited(file, std::string(64 * 1024, 'x'), 16 * 1024);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  std::ifstream in(file);
  std::string contents((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(contents, "old contents\n");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
  // Within the limit the same write succeeds: the failure above was the limit's.
  EXPECT_EQ(write_limited(file, std::string(8 * 1024, 'y'), 16 * 1024), "");
  EXPECT_EQ(fs::file_size(file), 8u * 1024);
}

TEST(DurableWrite, AnUnwritableFolderIsNamed) {
  try {
    write_file_atomic("/proc/gear-no-such-folder/x.json", "{}");
    FAIL() << "wrote into /proc";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/gear-no-such-folder/x.json"), std::string::npos);
  }
}

// Draws from the stream's generator, so a resumed stream must continue it exactly.
class NoiseAugmentation final : public Augmentation {
 public:
  AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) override {
    torch::Tensor noise = torch::rand(images.sizes(), generator);
    return {{images.to(torch::kFloat32).div(255.0).add(noise)}, 0.0};
  }
};

DeviceData random_data(int64_t n, int64_t side = 8) {
  torch::manual_seed(3);
  return {torch::randint(0, 256, {n, 1, side, side}).to(torch::kUInt8), torch::randint(0, 10, {n})};
}

class StreamResume : public ::testing::TestWithParam<bool> {};

TEST_P(StreamResume, ContinuesMidEpochAsIfNeverStopped) {
  const bool prefetch = GetParam();
  const DeviceData data = random_data(100);
  NoiseAugmentation augmentation;
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  std::vector<Batch> whole;
  BatchStream full(data, 16, &augmentation, normalizer, prefetch);
  full.start_epoch(42);
  while (auto batch = full.next()) whole.push_back(*batch);
  ASSERT_EQ(whole.size(), 7u);
  for (int64_t stop : {1, 3, 6}) {
    BatchStream resumed(data, 16, &augmentation, normalizer, prefetch);
    resumed.resume_epoch(42, stop, whole[stop - 1].generator_state);
    size_t index = static_cast<size_t>(stop);
    while (auto batch = resumed.next()) {
      ASSERT_LT(index, whole.size());
      EXPECT_TRUE(torch::equal(batch->images, whole[index].images)) << stop << " " << index;
      EXPECT_TRUE(torch::equal(batch->labels, whole[index].labels));
      ++index;
    }
    EXPECT_EQ(index, whole.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Prefetch, StreamResume, ::testing::Values(false, true));

class MeanObjective final : public Objective {
 public:
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    ObjectiveValue value;
    value.logits = net.forward(batch.views.front());
    value.loss = torch::nn::functional::cross_entropy(value.logits, batch.labels);
    value.figures["mean_logit"] = value.logits.mean().detach();
    return value;
  }
};

TEST(TrainEpochPause, PausedAndContinuedEqualsUninterrupted) {
  const DeviceData data = [] {
    torch::manual_seed(5);
    return DeviceData{torch::randint(0, 256, {96, 1, 28, 28}).to(torch::kUInt8),
                      torch::randint(0, 10, {96})};
  }();
  NoiseAugmentation augmentation;
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  MeanObjective objective;
  const Config stage = test::make_config(train_options_binder().schema());
  auto run = [&](const std::vector<int64_t>& pauses) {
    auto net = tiny_net();
    auto optimizer = make_optimizer(stage, net->parameters());
    LrSchedule schedule(stage, 1);
    BatchStream stream(data, 16, &augmentation, normalizer, false);
    stream.start_epoch(9);
    Progress progress(false);
    progress.begin("epoch", 6);
    EpochCursor cursor;
    size_t next_pause = 0;
    PassStats stats;
    int pieces = 0;
    do {
      stats = train_epoch(
          *net, stream, *optimizer, schedule, 0, objective, progress, 0, cursor,
          [&](int64_t step) { return next_pause < pauses.size() && step == pauses[next_pause]; });
      if (cursor.paused) ++next_pause;
      ++pieces;
    } while (cursor.paused);
    EXPECT_EQ(pieces, static_cast<int>(pauses.size()) + 1);
    EXPECT_EQ(cursor.step, 6);
    return std::make_pair(net, stats);
  };
  const auto [whole_net, whole] = run({});
  const auto [paused_net, paused] = run({2, 5});
  EXPECT_EQ(paused.samples, 96);
  EXPECT_EQ(paused.loss, whole.loss);
  EXPECT_EQ(paused.accuracy, whole.accuracy);
  EXPECT_EQ(paused.figures.at("mean_logit"), whole.figures.at("mean_logit"));
  auto a = whole_net->parameters(), b = paused_net->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
}

// The pause check is asked after every step but the epoch's last (there the stage's own point
// follows), and an epoch paused at every chance takes one call per step.
TEST(TrainEpochPause, AskedAfterEveryStepButTheLast) {
  const DeviceData data = random_data(64, 28);
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  MeanObjective objective;
  const Config stage = test::make_config(train_options_binder().schema());
  auto net = tiny_net();
  auto optimizer = make_optimizer(stage, net->parameters());
  LrSchedule schedule(stage, 1);
  BatchStream stream(data, 16, nullptr, normalizer, false);
  stream.start_epoch(3);
  Progress progress(false);
  progress.begin("epoch", 4);
  EpochCursor cursor;
  std::vector<int64_t> asked;
  int calls = 0;
  do {
    train_epoch(*net, stream, *optimizer, schedule, 0, objective, progress, 0, cursor,
                [&](int64_t step) {
                  asked.push_back(step);
                  return true;
                });
    ++calls;
  } while (cursor.paused);
  EXPECT_EQ(asked, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(cursor.samples, 64);
}

TEST(TrainEpochPause, ANanLossStopsBeforeTheStepNamingIt) {
  const DeviceData data = random_data(64, 28);
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  class NanAfterTwo final : public Objective {
   public:
    ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
      ObjectiveValue value;
      value.logits = net.forward(batch.views.front());
      value.loss = torch::nn::functional::cross_entropy(value.logits, batch.labels);
      if (++calls_ == 3) value.loss = value.loss * std::numeric_limits<float>::quiet_NaN();
      return value;
    }
    int calls_ = 0;
  } objective;
  torch::manual_seed(1);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.0625);
  const Config stage = test::make_config(train_options_binder().schema());
  auto optimizer = make_optimizer(stage, net->parameters());
  LrSchedule schedule(stage, 1);
  BatchStream stream(data, 16, nullptr, normalizer, false);
  stream.start_epoch(1);
  Progress progress(false);
  EpochCursor cursor;
  try {
    train_epoch(*net, stream, *optimizer, schedule, 0, objective, progress, 0, cursor);
    FAIL() << "a NaN loss went unnoticed";
  } catch (const NonFiniteLoss& e) {
    EXPECT_EQ(e.step(), 3);
    EXPECT_NE(std::string(e.what()).find("nan"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cursor.step, 2);
  EXPECT_TRUE(first_non_finite_parameter(*net).empty()) << "the NaN step was applied";
}

}  // namespace
}  // namespace gear::host
