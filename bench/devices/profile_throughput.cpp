// Applies each profile of GEAR's built-in device bank to a file of uint8 images and prints one
// JSON line per profile with its images/s: the C++ side of bench/device_profiles.py. Usage:
//   gear_bench_devices PLUGIN_DIR IMAGES.u8 N C H W BATCH THREADS REPEATS
// IMAGES.u8 holds N*C*H*W bytes, [N, C, H, W] in C order. The first pass warms up and is not
// timed; the best of REPEATS timed passes is reported.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gear/host/device.h"
#include "gear/host/device_bank.h"
#include "gear/host/plugin_loader.h"
#include "gear/host/registry.h"

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s PLUGIN_DIR IMAGES.u8 N C H W BATCH THREADS REPEATS\n", argv[0]);
    return 2;
  }
  const int64_t n = std::atoll(argv[3]), c = std::atoll(argv[4]), h = std::atoll(argv[5]),
                w = std::atoll(argv[6]), batch = std::atoll(argv[7]), threads = std::atoll(argv[8]),
                repeats = std::atoll(argv[9]);
  torch::set_num_threads(static_cast<int>(threads));
  gear::host::Registry registry;
  gear::host::load_plugins({argv[1]}, registry);
  const gear::host::DeviceProfiles profiles =
      gear::host::read_device_profiles(nullptr, "", registry);
  gear::host::HostDeviceBank bank(profiles, registry);
  std::vector<uint8_t> bytes(static_cast<size_t>(n * c * h * w));
  std::ifstream in(argv[2], std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    std::fprintf(stderr, "cannot read %zu bytes from %s\n", bytes.size(), argv[2]);
    return 2;
  }
  torch::Tensor images = torch::from_blob(bytes.data(), {n, c, h, w}, torch::kUInt8).clone();
  for (int64_t k = 0; k < bank.size(); ++k) {
    auto pass = [&] {
      torch::Generator generator = gear::host::make_generator(torch::kCPU, 1);
      int64_t checksum = 0;
      for (int64_t begin = 0; begin < n; begin += batch)
        checksum += bank.apply(k, images.slice(0, begin, std::min(begin + batch, n)), generator)
                        .sum()
                        .item<int64_t>();
      return checksum;
    };
    pass();
    double best = 1e30;
    for (int64_t r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      pass();
      best = std::min(
          best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("{\"profile\": \"%s\", \"seconds\": %.6f, \"images_per_second\": %.1f}\n",
                bank.name(k).c_str(), best, static_cast<double>(n) / best);
  }
  return 0;
}
