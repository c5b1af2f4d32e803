#include "gear/host/distributed/process_group.h"

#include <torch/version.h>

#include <csignal>
#include <stdexcept>
#include <string>

#if GEAR_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "gear/host/distributed/error_text.h"
#endif

namespace gear::host {

#if GEAR_WITH_GLOO

bool gloo_available() { return true; }

namespace {

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

c10::intrusive_ptr<c10d::TCPStore> open_store(const std::string& host, int port, bool server,
                                              std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = server;
  options.waitWorkers = false;
  options.timeout = timeout;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  // Since LibTorch 2.4 the store asks for its libuv backend by default, and a LibTorch built
  // without libuv (Debian's 2.6) refuses to open it; the classic backend serves a GEAR world.
  try {
    return c10::make_intrusive<c10d::TCPStore>(host, options);
  } catch (const std::exception& e) {
    if (!options.useLibUV || std::string(e.what()).find("libuv") == std::string::npos) throw;
  }
  options.useLibUV = false;
#endif
  return c10::make_intrusive<c10d::TCPStore>(host, options);
}

}  // namespace

struct StoreServer::State {
  c10::intrusive_ptr<c10d::TCPStore> store;
};

StoreServer::StoreServer(const std::string& host, int port, std::chrono::milliseconds timeout)
    : state_(std::make_unique<State>()) {
  try {
    state_->store = open_store(host, port, true, timeout);
  } catch (const std::exception& e) {
    throw std::invalid_argument("cannot host the ranks' rendezvous store on " + host + ":" +
                                std::to_string(port) + " (in use?): " + error_text(e));
  }
}

StoreServer::~StoreServer() = default;

int StoreServer::port() const { return state_->store->getPort(); }

struct StoreClient::State {
  c10::intrusive_ptr<c10d::Store> store;
};

StoreClient::StoreClient(const std::string& host, int port, std::chrono::milliseconds timeout)
    : state_(std::make_unique<State>()) {
  state_->store = open_store(host, port, false, timeout);
}

StoreClient::~StoreClient() = default;

void StoreClient::set(const std::string& key, const std::string& value) {
  state_->store->set(key, bytes_of(value));
}

std::string StoreClient::get(const std::string& key) {
  const std::vector<uint8_t> value = state_->store->get(key);
  return {value.begin(), value.end()};
}

bool StoreClient::has(const std::string& key) { return state_->store->check({key}); }

int64_t StoreClient::add(const std::string& key, int64_t delta) {
  return state_->store->add(key, delta);
}

struct PendingReduce::State {
  c10::intrusive_ptr<c10d::Work> work;
};

struct ProcessGroup::State {
  c10::intrusive_ptr<c10d::TCPStore> hosted;  // rank 0's, unless the launcher hosts it
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const RankSpec& spec, std::chrono::milliseconds timeout,
                           const std::string& interface, const std::string& hostname)
    : state_(std::make_unique<State>()), rank_(spec.rank), size_(spec.size) {
  // A write to the socket of a rank that died raises SIGPIPE, whose default action ends this rank
  // (exit 141) before c10d can throw the error that names the dead rank. Python ignores SIGPIPE
  // at start-up, which is what c10d's sockets assume; so does a process that joins a world.
  std::signal(SIGPIPE, SIG_IGN);
  if (spec.rank == 0 && !spec.agent_store) {
    try {
      state_->hosted = open_store(spec.master_addr, spec.master_port, true, timeout);
    } catch (const std::exception& e) {
      throw std::invalid_argument("rank 0 cannot host the rendezvous store on MASTER_ADDR:" +
                                  std::string("MASTER_PORT = ") + spec.master_addr + ":" +
                                  std::to_string(spec.master_port) +
                                  " (in use?): " + error_text(e));
    }
  }
  store_ = std::make_unique<StoreClient>(spec.master_addr, spec.master_port, timeout);
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(
      !interface.empty()  ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
      : !hostname.empty() ? c10d::ProcessGroupGloo::createDeviceForHostname(hostname)
                          : c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 2;
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", store_->state_->store);
  state_->group =
      c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, spec.rank, spec.size, options);
}

ProcessGroup::~ProcessGroup() = default;

PendingReduce::PendingReduce(std::shared_ptr<State> state) : state_(std::move(state)) {}

void PendingReduce::wait() {
  if (!state_) return;
  std::shared_ptr<State> state = std::move(state_);
  state->work->wait();
}

PendingReduce ProcessGroup::all_reduce_sum(torch::Tensor tensor) {
  std::vector<at::Tensor> tensors{std::move(tensor)};
  auto state = std::make_shared<PendingReduce::State>();
  state->work = state_->group->allreduce(tensors);
  return PendingReduce(state);
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& part) {
  std::vector<at::Tensor> input{part.contiguous()};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < size_; ++r) output[0].push_back(torch::empty_like(input[0]));
  state_->group->allgather(output, input)->wait();
  return torch::stack(output[0]);
}

void ProcessGroup::broadcast(torch::Tensor& tensor, int root) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  state_->group->broadcast(tensors, options)->wait();
}

#else  // no Gloo in this build

bool gloo_available() { return false; }

namespace {
[[noreturn]] void no_gloo() {
  throw std::invalid_argument(
      "this gearhost was built without c10d's Gloo process group (LibTorch's Gloo headers were "
      "not found: on Debian install libgloo-dev and rebuild), so it cannot run ranks");
}
}  // namespace

struct StoreServer::State {};
StoreServer::StoreServer(const std::string&, int, std::chrono::milliseconds) { no_gloo(); }
StoreServer::~StoreServer() = default;
int StoreServer::port() const { return 0; }
struct StoreClient::State {};
StoreClient::StoreClient(const std::string&, int, std::chrono::milliseconds) { no_gloo(); }
StoreClient::~StoreClient() = default;
void StoreClient::set(const std::string&, const std::string&) { no_gloo(); }
std::string StoreClient::get(const std::string&) { no_gloo(); }
bool StoreClient::has(const std::string&) { no_gloo(); }
int64_t StoreClient::add(const std::string&, int64_t) { no_gloo(); }
struct PendingReduce::State {};
PendingReduce::PendingReduce(std::shared_ptr<State> state) : state_(std::move(state)) {}
void PendingReduce::wait() {}
struct ProcessGroup::State {};
ProcessGroup::ProcessGroup(const RankSpec&, std::chrono::milliseconds, const std::string&,
                           const std::string&) {
  no_gloo();
}
ProcessGroup::~ProcessGroup() = default;
PendingReduce ProcessGroup::all_reduce_sum(torch::Tensor) { no_gloo(); }
torch::Tensor ProcessGroup::all_gather(const torch::Tensor&) { no_gloo(); }
void ProcessGroup::broadcast(torch::Tensor&, int) { no_gloo(); }

#endif

}  // namespace gear::host
