#include "gear/report/tensorboard_events.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace gear::report {
namespace {

// The Event and Summary protocol buffers (tensorflow/core/util/event.proto, summary.proto),
// encoded by hand: GEAR links no protobuf library, and a scalar event needs only five fields.
constexpr uint32_t kWireVarint = 0, kWireFixed64 = 1, kWireLength = 2, kWireFixed32 = 5;
constexpr int kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr int kSummaryValue = 1;
constexpr int kValueTag = 1, kValueSimpleValue = 2;
constexpr char kFileVersion[] = "brain.Event:2";
constexpr uint32_t kCrcMaskDelta = 0xa282ead8u;

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, int field, uint32_t wire_type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}

template <typename T>
void put_little_endian(std::string& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xFF));
}

void put_double(std::string& out, int field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kWireFixed64);
  put_little_endian(out, bits);
}

void put_float(std::string& out, int field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kWireFixed32);
  put_little_endian(out, bits);
}

void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_key(out, field, kWireLength);
  put_varint(out, bytes.size());
  out += bytes;
}

/// An Event with its wall_time and step; the caller appends the payload field.
std::string event_header(double wall_seconds, int64_t step) {
  // Zeros are left out, as proto3 encoders do, so the bytes are the canonical encoding.
  std::string event;
  if (wall_seconds != 0.0) put_double(event, kEventWallTime, wall_seconds);
  if (step != 0) {
    // int64 is the varint of its two's complement (a negative step takes ten bytes).
    put_key(event, kEventStep, kWireVarint);
    put_varint(event, static_cast<uint64_t>(step));
  }
  return event;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

uint32_t masked_crc(const void* data, size_t size) {
  uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

EventWriter::EventWriter(const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error)
    throw std::runtime_error("cannot create the TensorBoard folder " + folder.string() + ": " +
                             error.message());
  const double now = now_seconds();
  const std::string stem = "events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(std::floor(now))) + "." +
                           host_name();
  // Two writers started in the same second (a resumed run) must not overwrite each other's
  // file; TensorBoard reads every file whose name contains "tfevents", so a suffix is fine.
  path_ = folder / stem;
  for (int n = 1; std::filesystem::exists(path_); ++n)
    path_ = folder / (stem + "." + std::to_string(n));
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write the TensorBoard events file " + path_.string());
  std::string event = event_header(now, 0);
  put_bytes(event, kEventFileVersion, kFileVersion);
  write_record(event);
}

void EventWriter::scalar(const std::string& tag, int64_t step, double value, double wall_seconds) {
  std::string summary_value;
  put_bytes(summary_value, kValueTag, tag);
  put_float(summary_value, kValueSimpleValue, static_cast<float>(value));
  std::string summary;
  put_bytes(summary, kSummaryValue, summary_value);
  std::string event = event_header(wall_seconds < 0 ? now_seconds() : wall_seconds, step);
  put_bytes(event, kEventSummary, summary);
  write_record(event);
}

void EventWriter::write_record(const std::string& data) {
  std::string frame;
  put_little_endian(frame, static_cast<uint64_t>(data.size()));
  put_little_endian(frame, masked_crc(frame.data(), 8));
  frame += data;
  put_little_endian(frame, masked_crc(data.data(), data.size()));
  out_.write(frame.data(), static_cast<std::streamsize>(frame.size()));
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write the TensorBoard events file " + path_.string());
}

}  // namespace gear::report
