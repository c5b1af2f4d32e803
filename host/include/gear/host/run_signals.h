#pragma once

/// @file
/// What a run does when it is stopped or crashes. SIGINT / SIGTERM during training: finish the
/// current step, record a resume point, exit 130 / 143 (the train loop asks stop_signal());
/// outside training (a grow or prune stage, which resume from their start anyway) and on a
/// second Ctrl-C: exit at once. A crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) first writes
/// which stage and plugin were running, and how to resume, to stderr and the run's log.

#include <stdexcept>
#include <string>

namespace gear::host {

/// Installs the handlers; idempotent. gearhost's run command calls it.
void install_run_signal_handlers();

/// SIGINT or SIGTERM once one has arrived; 0 before.
int stop_signal();

/// For tests: forgets a received stop signal.
void clear_stop_signal();

/// While one lives, a stop signal is left to the train loop (it stops after the current step);
/// otherwise the process exits at once. Not nested across threads: the run's thread owns it.
class TrainingInProgress {
 public:
  TrainingInProgress();
  ~TrainingInProgress();
  TrainingInProgress(const TrainingInProgress&) = delete;
  TrainingInProgress& operator=(const TrainingInProgress&) = delete;
};

/// The run folder, for the resume hint and the crash note in its log.txt; empty: none.
void set_signal_run_folder(const std::string& folder);
/// What runs now ("stage 2 (grow): strategy osg (libgear-osg.so)"), for the crash note.
void set_crash_context(const std::string& text);

/// While one lives, a crash note also names this plugin component and its library: call_plugin
/// opens one around each call into a plugin it attributes. The previous one is restored after.
class CrashPluginScope {
 public:
  CrashPluginScope(const std::string& component, const std::string& library);
  ~CrashPluginScope();
  CrashPluginScope(const CrashPluginScope&) = delete;
  CrashPluginScope& operator=(const CrashPluginScope&) = delete;

 private:
  std::string previous_;
};

/// The exit status for a stop signal: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
int stop_exit_code(int signal);

/// Thrown by the train loop once it has recorded a resume point after a stop signal.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace gear::host
