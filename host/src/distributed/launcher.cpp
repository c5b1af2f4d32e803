#include "gear/host/distributed/launcher.h"

#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>

#include "gear/host/distributed/process_group.h"

extern char** environ;

namespace gear::host {
namespace {

std::atomic<int> forwarded_signal{0};

void on_stop_signal(int signal) { forwarded_signal.store(signal); }

// The process's environment without the variables a rank gets from the launcher.
std::vector<std::string> rank_environment(int rank, int size, int port) {
  static const char* kOwn[] = {"RANK=",
                               "WORLD_SIZE=",
                               "LOCAL_RANK=",
                               "LOCAL_WORLD_SIZE=",
                               "MASTER_ADDR=",
                               "MASTER_PORT=",
                               "TORCHELASTIC_USE_AGENT_STORE="};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool own = false;
    for (const char* prefix : kOwn) own = own || entry.rfind(prefix, 0) == 0;
    if (!own) env.push_back(entry);
  }
  const std::string r = std::to_string(rank), n = std::to_string(size);
  for (const std::string& entry :
       {"RANK=" + r, "WORLD_SIZE=" + n, "LOCAL_RANK=" + r, "LOCAL_WORLD_SIZE=" + n,
        std::string("MASTER_ADDR=127.0.0.1"), "MASTER_PORT=" + std::to_string(port),
        std::string("TORCHELASTIC_USE_AGENT_STORE=True")})
    env.push_back(entry);
  return env;
}

pid_t spawn_rank(const LaunchOptions& options, int rank, int port) {
  std::vector<std::string> args = {options.gearhost.string()};
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = rank_environment(rank, options.nproc, port);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0)
    throw std::runtime_error("cannot start rank " + std::to_string(rank) + " ('" + args[0] +
                             "'): " + std::strerror(rc));
  return pid;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 1;
}

}  // namespace

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* name = sigabbrev_np(signal);
    return std::string("killed by ") +
           (name ? std::string("SIG") + name : "signal " + std::to_string(signal));
  }
  return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
}

int launch_ranks(const LaunchOptions& options) {
  if (options.nproc < 1)
    throw std::invalid_argument("--nproc must be at least 1, got " + std::to_string(options.nproc));
  // The store lives here, not in rank 0, so it outlives any rank and reports on all of them.
  StoreServer store("127.0.0.1", options.master_port, options.timeout);
  const int port = store.port();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  spdlog::info("starting {} ranks on 127.0.0.1, rendezvous port {}", options.nproc, port);
  std::map<pid_t, int> running;
  for (int rank = 0; rank < options.nproc; ++rank) running[spawn_rank(options, rank, port)] = rank;

  int code = 0;
  bool failed = false, forwarded = false;
  std::chrono::steady_clock::time_point failed_at;
  int escalation = 0;  // 0: waiting, 1: SIGTERM sent, 2: SIGKILL sent
  auto signal_all = [&](int signal) {
    for (const auto& [pid, rank] : running) kill(pid, signal);
  };
  while (!running.empty()) {
    if (const int signal = forwarded_signal.load(); signal != 0 && !forwarded) {
      spdlog::warn("passing {} on to the ranks", signal == SIGINT ? "SIGINT" : "SIGTERM");
      signal_all(signal);
      forwarded = true;
    }
    if (failed) {
      const auto waited = std::chrono::steady_clock::now() - failed_at;
      if (escalation == 0 && waited > options.grace) {
        spdlog::error("stopping the {} rank(s) still running (SIGTERM)", running.size());
        signal_all(SIGTERM);
        escalation = 1;
      } else if (escalation == 1 && waited > 2 * options.grace) {
        signal_all(SIGKILL);
        escalation = 2;
      }
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (pid < 0) throw std::runtime_error(std::string("waiting for the ranks: ") + strerror(errno));
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const int rank = it->second;
    running.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && !failed) {
      failed = true;
      failed_at = std::chrono::steady_clock::now();
      code = exit_code_of(status);
      if (!forwarded)
        spdlog::error("rank {} (pid {}) {}; the other ranks end within {} s", rank, pid,
                      describe_exit(status),
                      std::chrono::duration_cast<std::chrono::seconds>(2 * options.grace).count());
    } else if (!ok) {
      spdlog::info("rank {} {}", rank, describe_exit(status));
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return code;
}

}  // namespace gear::host
