#pragma once

// A gearhost process a test starts, signals and waits for (tests declared GEARHOST).

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace gear::test {

/// One gearhost process of this build (with the fixture plugins on its path), started with
/// `args` and `extra_env` added to the environment, its stdout and stderr appended to `output`.
/// Killed with its process group if still running when destroyed.
class SpawnedGearhost {
 public:
  SpawnedGearhost(const std::vector<std::string>& args, const std::filesystem::path& output,
                  const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {GEARHOST_EXE, "--plugin-path", GEAR_FIXTURE_DIR};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    std::vector<std::string> env(extra_env);
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    std::vector<char*> c_env;
    for (auto& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    // Its own process group, so a signal reaches a seed group's children too, as a scheduler's
    // kill of the job would.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    if (posix_spawn(&pid_, GEARHOST_EXE, &actions, &attributes, c_argv.data(), c_env.data()) != 0)
      pid_ = -1;
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~SpawnedGearhost() {
    if (pid_ > 0 && !done_) {
      ::kill(-pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int signal) const { ::kill(pid_, signal); }
  void signal_group(int signal) const { ::kill(-pid_, signal); }
  // The exit code, or 128 + the signal that ended it (as a shell reports it).
  int wait() {
    if (!done_) waitpid(pid_, &status_, 0);
    done_ = true;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }
  // Reaps the process if it has ended, keeping its status for wait().
  bool running() {
    if (done_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == 0) return true;
    done_ = true;
    return false;
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = 0;
};

}  // namespace gear::test
