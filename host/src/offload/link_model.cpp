// Bandwidth traces and the link's FIFO queue.
#include "gear/host/offload/link_model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "gear/errors.h"
#include "gear/host/offload/csv_lines.h"

namespace gear::host {
namespace {

// Index of the segment holding time t.
size_t segment_of(const BandwidthTrace& trace, double t) {
  const auto it = std::upper_bound(trace.times.begin(), trace.times.end(), t);
  return it == trace.times.begin() ? 0 : static_cast<size_t>(it - trace.times.begin()) - 1;
}

[[noreturn]] void fail_at(const std::filesystem::path& file, int64_t line,
                          const std::string& message) {
  throw ConfigError({file.string(), line, 1}, "", "bandwidth trace: " + message);
}

bool parse_double(const std::string& text, double& value) {
  std::istringstream in(text);
  in >> value;
  if (in.fail()) return false;
  in >> std::ws;
  return in.eof() && std::isfinite(value);
}

}  // namespace

BandwidthTrace BandwidthTrace::constant(double bits_per_second) {
  return {{0.0}, {bits_per_second}};
}

BandwidthTrace BandwidthTrace::stepped(const std::vector<double>& levels, double step_seconds,
                                       double duration_seconds) {
  BandwidthTrace trace;
  const size_t steps = std::max<size_t>(
      levels.size(), static_cast<size_t>(std::ceil(duration_seconds / step_seconds)));
  for (size_t i = 0; i < steps; ++i) {
    trace.times.push_back(static_cast<double>(i) * step_seconds);
    trace.bits_per_second.push_back(levels[i % levels.size()]);
  }
  return trace;
}

BandwidthTrace BandwidthTrace::read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError({file.string(), 0, 0}, "", "cannot read the bandwidth trace");
  BandwidthTrace trace;
  bool header_allowed = true;
  const int64_t last = for_each_csv_line(in, [&](int64_t number, const std::string& text) {
    const auto comma = text.find(',');
    if (comma == std::string::npos)
      fail_at(file, number, "expected \"time_seconds,bits_per_second\", got '" + text + "'");
    const std::string time_text = trim_blanks(text.substr(0, comma));
    const std::string rate_text = trim_blanks(text.substr(comma + 1));
    double t = 0.0, bps = 0.0;
    const bool t_ok = parse_double(time_text, t), bps_ok = parse_double(rate_text, bps);
    const bool header = !t_ok && !bps_ok && header_allowed;
    header_allowed = false;
    if (header) return;
    if (!t_ok || !bps_ok)
      fail_at(file, number,
              "expected two numbers \"time_seconds,bits_per_second\", got '" + text + "'");
    if (bps <= 0.0)
      fail_at(file, number, "bandwidth must be positive bits per second, got " + rate_text);
    if (!trace.times.empty() && t <= trace.times.back())
      fail_at(file, number,
              "times must increase (" + time_text + " does not come after the row before)");
    trace.times.push_back(t);
    trace.bits_per_second.push_back(bps);
  });
  if (trace.times.empty()) fail_at(file, last, "no \"time_seconds,bits_per_second\" rows");
  const double origin = trace.times.front();
  for (double& t : trace.times) t -= origin;
  return trace;
}

double BandwidthTrace::at(double t) const { return bits_per_second[segment_of(*this, t)]; }

double BandwidthTrace::bytes_between(double from, double to) const {
  double bytes = 0.0;
  for (size_t i = segment_of(*this, from); i < times.size() && times[i] < to; ++i) {
    const double begin = std::max(times[i], from);
    const double end = i + 1 < times.size() ? std::min(times[i + 1], to) : to;
    bytes += (end - begin) * bits_per_second[i] / 8.0;
  }
  return bytes;
}

double BandwidthTrace::finish_time(double start, int64_t bytes) const {
  double left = static_cast<double>(bytes) * 8.0;  // bits
  double t = start;
  for (size_t i = segment_of(*this, start);; ++i) {
    const double rate = bits_per_second[i];
    const double end = i + 1 < times.size() ? times[i + 1] : INFINITY;
    if (left <= (end - t) * rate) return t + left / rate;
    left -= (end - t) * rate;
    t = end;
  }
}

int64_t LinkQueue::queued_bytes(double t) const {
  double queued = 0.0;
  for (const InFlight& f : in_flight_) {
    if (f.finish <= t) continue;
    if (f.start >= t) {
      queued += static_cast<double>(f.bytes);
    } else {
      const double sent = trace_.bytes_between(f.start, t);
      queued += std::max(0.0, static_cast<double>(f.bytes) - sent);
    }
  }
  return static_cast<int64_t>(std::llround(queued));
}

double LinkQueue::send(double t, int64_t bytes) {
  in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                  [t](const InFlight& f) { return f.finish <= t; }),
                   in_flight_.end());
  const double start = std::max(t, free_at_);
  free_at_ = trace_.finish_time(start, bytes);
  in_flight_.push_back({start, free_at_, bytes});
  return free_at_;
}

}  // namespace gear::host
