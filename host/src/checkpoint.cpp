#include "gear/host/checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <stdexcept>

namespace gear::host {
namespace fs = std::filesystem;

namespace {
// LibTorch's messages carry a C++ stack trace; the reader needs only what went wrong.
void load_archive(torch::serialize::InputArchive& archive, const fs::path& path) {
  try {
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

void save_checkpoint(GrowableNet& net, const CheckpointMeta& meta, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  for (const auto& item : net.named_parameters()) archive.write(item.key(), item.value());
  for (const auto& item : net.named_buffers()) archive.write(item.key(), item.value(), true);
  archive.write("gear.architecture", c10::IValue(meta.architecture));
  archive.write("gear.input_shape", c10::IValue(meta.input_shape));
  archive.write("gear.num_classes", c10::IValue(meta.num_classes));
  archive.write("gear.groups", c10::IValue(string_list(meta.groups)));
  archive.write("gear.widths", c10::IValue(meta.widths));
  archive.write("gear.stage", c10::IValue(meta.stage));
  archive.write("gear.epoch", c10::IValue(meta.epoch));
  archive.write("gear.val_accuracy", c10::IValue(meta.val_accuracy));
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  archive.save_to(temp.string());
  fs::rename(temp, path);
}

CheckpointMeta read_checkpoint_meta(const fs::path& path) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  CheckpointMeta meta;
  c10::IValue value;
  auto read = [&](const char* key) {
    if (!archive.try_read(key, value))
      throw std::runtime_error("checkpoint " + path.string() + " has no '" + key +
                               "' (not written by GEAR?)");
    return value;
  };
  meta.architecture = read("gear.architecture").toStringRef();
  meta.input_shape = read("gear.input_shape").toIntVector();
  meta.num_classes = read("gear.num_classes").toInt();
  for (const c10::IValue& g : read("gear.groups").toListRef()) meta.groups.push_back(g.toStringRef());
  meta.widths = read("gear.widths").toIntVector();
  meta.stage = read("gear.stage").toInt();
  meta.epoch = read("gear.epoch").toInt();
  meta.val_accuracy = read("gear.val_accuracy").toDouble();
  return meta;
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
