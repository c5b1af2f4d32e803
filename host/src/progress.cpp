#include "gear/host/progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "gear/host/stopwatch.h"

namespace gear::host {
namespace {
std::string clock_text(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%lld:%02lld", static_cast<long long>(s / 60),
                static_cast<long long>(s % 60));
  return buffer;
}
}  // namespace

Progress::Progress(bool tty, double plain_interval) : tty_(tty), plain_interval_(plain_interval) {}

bool Progress::stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

void Progress::begin(const std::string& label, int64_t total_batches) {
  label_ = label;
  total_ = total_batches;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  drawn_ = false;
}

std::string Progress::line(int64_t done, double rate, double loss, double accuracy) const {
  const int width = 24;
  int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  double elapsed = seconds_since(start_);
  double eta =
      done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0;
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), "%s [%s] %lld/%lld %.0f img/s loss %.4f acc %.3f ETA %s",
                label_.c_str(), bar.c_str(), static_cast<long long>(done),
                static_cast<long long>(total_), rate, loss, accuracy, clock_text(eta).c_str());
  return buffer;
}

void Progress::update(int64_t done, int64_t images, double loss, double accuracy) {
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(images) / elapsed : 0.0;
  if (tty_) {
    if (since < 0.1 && done < total_) return;
    std::fprintf(stderr, "\r\033[K%s", line(done, rate, loss, accuracy).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else {
    if (since < plain_interval_) return;
    spdlog::info("{}", line(done, rate, loss, accuracy));
  }
  last_draw_ = now;
}

void Progress::end() {
  if (tty_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

}  // namespace gear::host
