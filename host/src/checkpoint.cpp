#include "gear/host/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "gear/host/archive_bounds.h"
#include "gear/host/run_folder.h"

namespace gear::host {
namespace fs = std::filesystem;

namespace {
// LibTorch's messages carry a C++ stack trace; the reader needs only what went wrong.
void load_archive(torch::serialize::InputArchive& archive, const fs::path& path) {
  try {
    check_archive_bounds(path);
    archive.load_from(path.string());
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot read checkpoint " + path.string() + ": " +
                             e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read checkpoint " + path.string() + ": " + e.what());
  }
}

c10::List<std::string> string_list(const std::vector<std::string>& items) {
  c10::List<std::string> list;
  for (const auto& s : items) list.push_back(s);
  return list;
}
}  // namespace

namespace {

void write_meta(torch::serialize::OutputArchive& archive, const CheckpointMeta& meta) {
  archive.write("gear.format", c10::IValue(kCheckpointFormat));
  archive.write("gear.architecture", c10::IValue(meta.architecture));
  archive.write("gear.input_shape", c10::IValue(meta.input_shape));
  archive.write("gear.num_classes", c10::IValue(meta.num_classes));
  archive.write("gear.groups", c10::IValue(string_list(meta.groups)));
  archive.write("gear.widths", c10::IValue(meta.widths));
  archive.write("gear.stage", c10::IValue(meta.stage));
  archive.write("gear.epoch", c10::IValue(meta.epoch));
  archive.write("gear.val_accuracy", c10::IValue(meta.val_accuracy));
}

void write_net(torch::serialize::OutputArchive& archive, GrowableNet& net) {
  for (const auto& item : net.named_parameters()) archive.write(item.key(), item.value());
  for (const auto& item : net.named_buffers()) archive.write(item.key(), item.value(), true);
}

// Serialised in memory first, so the file is written (and fsynced) in one piece.
void save_archive(torch::serialize::OutputArchive& archive, const fs::path& path) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

}  // namespace

void save_checkpoint(GrowableNet& net, const CheckpointMeta& meta, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  write_net(archive, net);
  write_meta(archive, meta);
  save_archive(archive, path);
}

void save_resume_point(GrowableNet& net, const ResumePoint& point, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  write_net(archive, net);
  write_meta(archive, point.meta);
  archive.write("gear.resume.state", c10::IValue(point.state.dump()));
  c10::List<std::string> names;
  for (const auto& [name, tensor] : point.tensors) {
    names.push_back(name);
    archive.write("gear.resume.tensor." + name, tensor, true);
  }
  archive.write("gear.resume.tensors", c10::IValue(names));
  save_archive(archive, path);
}

namespace {

CheckpointMeta read_meta(torch::serialize::InputArchive& archive, const fs::path& path) {
  CheckpointMeta meta;
  c10::IValue value;
  auto read = [&](const char* key) {
    if (!archive.try_read(key, value))
      throw std::runtime_error("checkpoint " + path.string() + " has no '" + key +
                               "' (not written by GEAR?)");
    return value;
  };
  const int64_t format = archive.try_read("gear.format", value) ? value.toInt() : 1;
  if (format > kCheckpointFormat)
    throw std::runtime_error("checkpoint " + path.string() + " is of format " +
                             std::to_string(format) +
                             ", written by a newer GEAR; this gearhost "
                             "reads formats up to " +
                             std::to_string(kCheckpointFormat));
  try {
    meta.architecture = read("gear.architecture").toStringRef();
    meta.input_shape = read("gear.input_shape").toIntVector();
    meta.num_classes = read("gear.num_classes").toInt();
    for (const c10::IValue& g : read("gear.groups").toListRef())
      meta.groups.push_back(g.toStringRef());
    meta.widths = read("gear.widths").toIntVector();
    meta.stage = read("gear.stage").toInt();
    meta.epoch = read("gear.epoch").toInt();
    meta.val_accuracy = read("gear.val_accuracy").toDouble();
  } catch (const c10::Error& e) {
    // A key of the wrong type: the file was not written by this code.
    throw std::runtime_error("checkpoint " + path.string() +
                             " has malformed metadata: " + e.what_without_backtrace());
  }
  return meta;
}

}  // namespace

std::string first_non_finite_parameter(GrowableNet& net) {
  torch::NoGradGuard no_grad;
  for (const auto& item : net.named_parameters())
    if (!torch::isfinite(item.value()).all().item<bool>()) return item.key();
  return {};
}

CheckpointMeta read_checkpoint_meta(const fs::path& path) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  return read_meta(archive, path);
}

ResumePoint read_resume_point(const fs::path& path) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  ResumePoint point;
  point.meta = read_meta(archive, path);
  c10::IValue value;
  if (!archive.try_read("gear.resume.state", value) || !value.isString())
    throw std::runtime_error(path.string() + " is a checkpoint, not a resume point");
  try {
    point.state = nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("resume point " + path.string() + " has a corrupt state: " + e.what());
  }
  if (!archive.try_read("gear.resume.tensors", value) || !value.isList())
    throw std::runtime_error("resume point " + path.string() + " lists no tensors");
  for (const c10::IValue& name : value.toListRef()) {
    torch::Tensor tensor;
    if (!archive.try_read("gear.resume.tensor." + name.toStringRef(), tensor, true))
      throw std::runtime_error("resume point " + path.string() + " lacks tensor '" +
                               name.toStringRef() + "'");
    point.tensors[name.toStringRef()] = tensor;
  }
  return point;
}

void load_checkpoint_tensors(GrowableNet& net, const fs::path& path) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor& target, bool buffer) {
    torch::Tensor value;
    if (!archive.try_read(name, value, buffer))
      throw std::runtime_error("checkpoint " + path.string() + " lacks tensor '" + name + "'");
    if (value.sizes() != target.sizes())
      throw std::runtime_error("checkpoint " + path.string() + ": tensor '" + name + "' has shape " +
                               c10::str(value.sizes()) + ", the net has " +
                               c10::str(target.sizes()));
    target.copy_(value);
  };
  for (auto& item : net.named_parameters()) load(item.key(), item.value(), false);
  for (auto& item : net.named_buffers()) load(item.key(), item.value(), true);
}

}  // namespace gear::host
