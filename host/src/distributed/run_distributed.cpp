#include "gear/host/distributed/run_distributed.h"

#include <unistd.h>

#include <csignal>
#include <map>
#include <stdexcept>

#include "gear/host/distributed/world.h"
#include "gear/host/run_signals.h"

namespace gear::host {
namespace fs = std::filesystem;

fs::path rank_scratch_folder(const fs::path& run_root, int rank, bool resume) {
  const fs::path folder =
      fs::temp_directory_path() / ("gear-" + run_root.filename().string() + "-rank" +
                                   std::to_string(rank) + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(folder, ec);
  fs::create_directories(folder / "checkpoints", ec);
  if (ec)
    throw std::runtime_error("rank " + std::to_string(rank) + ": cannot create its working " +
                             "folder " + folder.string() + ": " + ec.message());
  if (resume) {
    for (const char* file : {"checkpoints/resume.pt", "pipeline.resolved.toml"}) {
      if (!fs::exists(run_root / file)) continue;  // the resume reports what is missing
      fs::copy_file(run_root / file, folder / file, fs::copy_options::overwrite_existing, ec);
      if (ec)
        throw std::runtime_error("rank " + std::to_string(rank) + ": cannot copy " +
                                 (run_root / file).string() + ": " + ec.message());
    }
  }
  return folder;
}

void remove_scratch_folder(const fs::path& folder) noexcept {
  if (folder.empty()) return;
  std::error_code ec;
  fs::remove_all(folder, ec);
}

namespace {
std::string widths_text(const torch::Tensor& widths) {
  std::string text = "[";
  for (int64_t i = 0; i < widths.numel(); ++i)
    text += (i ? ", " : "") + std::to_string(widths[i].item<int64_t>());
  return text + "]";
}
}  // namespace

int agreed_stop_signal(World* world) {
  const int signal = stop_signal();
  if (world == nullptr) return signal;
  if (!world->any(signal != 0, "agreeing to stop")) return 0;
  return signal != 0 ? signal : SIGTERM;
}

void sync_net_from_rank0(GrowableNet& net, World& world, const std::string& what) {
  const std::vector<int64_t> widths = net.widths();
  torch::Tensor all = world.all_gather(torch::tensor(widths, torch::kInt64));
  for (int r = 1; r < world.size(); ++r)
    if (!torch::equal(all[r], all[0]))
      throw std::runtime_error(
          world.label() + ": " + what + " differs between ranks: rank 0 has widths " +
          widths_text(all[0]) + ", rank " + std::to_string(r) + " " + widths_text(all[r]) +
          " (a grow or prune stage decided differently: its plugin draws from a source that "
          "is not the run's seed)");
  torch::NoGradGuard no_grad;
  // One broadcast per dtype and device, of every tensor flattened into one buffer.
  std::map<std::pair<torch::ScalarType, std::string>, std::vector<torch::Tensor>> groups;
  auto add = [&](const torch::Tensor& t) {
    if (t.defined() && t.numel() > 0) groups[{t.scalar_type(), t.device().str()}].push_back(t);
  };
  for (const auto& p : net.parameters()) add(p);
  for (const auto& b : net.buffers()) add(b);
  for (auto& [key, tensors] : groups) {
    std::vector<torch::Tensor> flat;
    for (const auto& t : tensors) flat.push_back(t.detach().reshape(-1));
    torch::Tensor buffer = torch::cat(flat);
    world.broadcast(buffer, 0);
    int64_t offset = 0;
    for (auto& t : tensors) {
      t.detach().copy_(buffer.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace gear::host
