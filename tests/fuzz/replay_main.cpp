// Without libFuzzer (the gcc build and CI): runs a fuzz target once on every file of the folders
// or files given, so the seed corpus and every input a fuzzer once crashed on stay regression
// tests. Exits non-zero if the target crashes (the process dies) or returns non-zero.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  int inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i]))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else {
      files.emplace_back(argv[i]);
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
      if (LLVMFuzzerTestOneInput(bytes.data(), bytes.size()) != 0) {
        std::fprintf(stderr, "%s: the target returned non-zero\n", file.c_str());
        return 1;
      }
      ++inputs;
    }
  }
  std::printf("%d inputs, each refused or read cleanly\n", inputs);
  return inputs > 0 ? 0 : 1;
}
