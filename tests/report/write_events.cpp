// Writes the scalars tensorboard_test.py expects into the folder given as the only argument,
// then prints the events file's path.
#include <cstdio>
#include <exception>

#include "gear/report/tensorboard_events.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  try {
    gear::report::EventWriter writer(argv[1]);
    // Keep in step with EXPECTED in tensorboard_test.py.
    writer.scalar("train/loss", 0, 2.5, 1700000000.25);
    writer.scalar("train/loss", 1, 0.1, 1700000001.5);
    writer.scalar("val/accuracy", 1, 0.8765432, 1700000002.0);
    writer.scalar("energy/joules", 1099511627776LL, 123456.789, 1700000003.0);  // 2^40
    writer.scalar("stage/widths/conv1", -3, -1.0e-3, 1700000004.0);
    std::printf("%s\n", writer.path().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
