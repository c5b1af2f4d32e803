#include "gear/host/run_signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

namespace gear::host {

namespace {

// Read by signal handlers: only lock-free atomics and fixed buffers, written before use.
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_training{0};
std::atomic<bool> g_installed{false};
constexpr size_t kTextSize = 2048;
char g_folder[kTextSize] = "";
char g_context[kTextSize] = "";
char g_log_path[kTextSize] = "";
char g_plugin[kTextSize] = "";
// What this thread's innermost scope named, for CrashPluginScope to restore; g_plugin shows the
// latest of any thread.
thread_local std::string g_plugin_text;
std::mutex g_text_mutex;  // writers only

void copy_text(char* target, const std::string& text) {
  std::lock_guard<std::mutex> lock(g_text_mutex);
  const size_t n = std::min(text.size(), kTextSize - 1);
  // Terminate first, so a handler reading mid-copy sees a shorter string, not an unterminated one.
  target[0] = '\0';
  std::memcpy(target + 1, text.data() + std::min<size_t>(1, n), n > 0 ? n - 1 : 0);
  target[n] = '\0';
  if (n > 0) target[0] = text[0];
}

void put(int fd, const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(fd, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

// Writes `parts` to stderr and, when there is a run folder, appends them to its log.txt.
void report(const char* const* parts, int count) {
  const int log = g_log_path[0] ? ::open(g_log_path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
  for (int i = 0; i < count; ++i) {
    put(STDERR_FILENO, parts[i]);
    if (log >= 0) put(log, parts[i]);
  }
  if (log >= 0) ::close(log);
}

void resume_hint(const char* first) {
  const char* parts[] = {first, g_folder[0] ? "; resume with: gearhost run --resume " : "",
                         g_folder, "\n"};
  report(parts, 4);
}

void on_stop(int signal) {
  const int previous = g_stop_signal.exchange(signal);
  if (previous != 0 || g_training.load() == 0) {
    // A second signal, or nothing to finish: the last resume point is where the run continues.
    resume_hint(previous != 0 ? "\ngearhost: stopped at once (second signal)"
                              : "\ngearhost: stopped outside training; the stage restarts from "
                                "its start");
    ::_exit(128 + signal);
  }
  const char* parts[] = {"\ngearhost: ", signal == SIGINT ? "SIGINT" : "SIGTERM",
                         ": stopping after the current step (press Ctrl-C again to exit at "
                         "once)\n"};
  report(parts, 3);
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGABRT:
      return "SIGABRT (abort)";
    default:
      return "a fatal signal";
  }
}

void on_crash(int signal) {
  const char* parts[] = {"\ngearhost: crashed with ",
                         signal_name(signal),
                         g_context[0] ? " in " : "",
                         g_context,
                         g_plugin[0] ? ", in a call into plugin " : "",
                         g_plugin,
                         "\n"};
  report(parts, 7);
  if (g_folder[0]) resume_hint("gearhost: the run folder keeps every finished epoch and stage");
  // The default action next: the exit status and any core dump say what happened.
  std::signal(signal, SIG_DFL);
  ::raise(signal);
}

}  // namespace

void install_run_signal_handlers() {
  if (g_installed.exchange(true)) return;
  struct sigaction stop {};
  stop.sa_handler = on_stop;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  struct sigaction crash {};
  crash.sa_handler = on_crash;
  sigemptyset(&crash.sa_mask);
  crash.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(signal, &crash, nullptr);
}

int stop_signal() { return g_stop_signal.load(); }

void clear_stop_signal() { g_stop_signal.store(0); }

TrainingInProgress::TrainingInProgress() { g_training.fetch_add(1); }

TrainingInProgress::~TrainingInProgress() { g_training.fetch_sub(1); }

void set_signal_run_folder(const std::string& folder) {
  copy_text(g_folder, folder);
  copy_text(g_log_path, folder.empty() ? std::string() : folder + "/log.txt");
}

void set_crash_context(const std::string& text) { copy_text(g_context, text); }

CrashPluginScope::CrashPluginScope(const std::string& component, const std::string& library)
    : previous_(g_plugin_text) {
  g_plugin_text = component + " (" + library + ")";
  copy_text(g_plugin, g_plugin_text);
}

CrashPluginScope::~CrashPluginScope() {
  g_plugin_text = previous_;
  copy_text(g_plugin, g_plugin_text);
}

int stop_exit_code(int signal) { return 128 + signal; }

}  // namespace gear::host
