// Recorded frame sequences: labels.csv plus JPEG/PNG files, decoded with libjpeg and libpng.
#include "gear/host/offload/frame_files.h"

#include <png.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "gear/errors.h"
#include "gear/host/offload/csv_lines.h"
#include "gear/host/offload/frame_bytes.h"
#include "gear/text_match.h"

namespace gear::host {
namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// uint8 [C, H, W] at the file's own channel count (1 or 3; alpha dropped).
torch::Tensor decode_png(const std::vector<uint8_t>& bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    throw std::runtime_error(std::string("libpng: ") + image.message);
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  const int64_t c = colour ? 3 : 1;
  torch::Tensor hwc = torch::empty({image.height, image.width, c}, torch::kUInt8);
  if (!png_image_finish_read(&image, nullptr, hwc.data_ptr<uint8_t>(), 0, nullptr)) {
    png_image_free(&image);
    throw std::runtime_error(std::string("libpng: ") + image.message);
  }
  return hwc.permute({2, 0, 1}).contiguous();
}

torch::Tensor decode(const std::vector<uint8_t>& bytes) {
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes);
  if (bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' &&
      bytes[3] == 'G')
    return decode_png(bytes);
  throw std::runtime_error("neither a JPEG nor a PNG file");
}

// `image` uint8 [C, H, W] as `channels` x `height` x `width`.
torch::Tensor conform(torch::Tensor image, int64_t channels, int64_t height, int64_t width) {
  if (image.size(0) != channels) {
    if (channels == 3) {
      image = image.expand({3, image.size(1), image.size(2)});
    } else {
      const torch::Tensor f = image.to(torch::kFloat32);
      image = (0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2])
                  .round()
                  .clamp(0, 255)
                  .unsqueeze(0)
                  .to(torch::kUInt8);
    }
  }
  if (image.size(1) != height || image.size(2) != width) {
    namespace F = torch::nn::functional;
    image = F::interpolate(image.unsqueeze(0).to(torch::kFloat32),
                           F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false)
                               .antialias(true))
                .squeeze(0)
                .round()
                .clamp(0, 255)
                .to(torch::kUInt8);
  }
  return image.contiguous();
}

}  // namespace

FrameStream read_frame_folder(const std::filesystem::path& folder,
                              const std::vector<std::string>& class_names, int64_t channels,
                              int64_t height, int64_t width, double frames_per_second) {
  const std::filesystem::path csv = folder / "labels.csv";
  std::ifstream in(csv);
  if (!in)
    throw ConfigError({csv.string(), 0, 0}, "",
                      "a frame folder needs labels.csv: one \"file,class\" row per frame in play "
                      "order");
  std::vector<torch::Tensor> frames;
  std::vector<int64_t> labels;
  int64_t number = 0;
  bool header_allowed = true;
  const auto fail = [&](const std::string& message) {
    throw ConfigError({csv.string(), number, 1}, "", message);
  };
  number = for_each_csv_line(in, [&](int64_t line, const std::string& text) {
    number = line;
    const auto comma = text.rfind(',');
    if (comma == std::string::npos) fail("expected \"file,class\", got '" + text + "'");
    const std::string file = trim_blanks(text.substr(0, comma));
    const std::string label = trim_blanks(text.substr(comma + 1));
    const bool header = header_allowed && file == "file" && (label == "class" || label == "label");
    header_allowed = false;
    if (header) return;
    int64_t index = -1;
    for (size_t k = 0; k < class_names.size(); ++k)
      if (class_names[k] == label) index = static_cast<int64_t>(k);
    if (index < 0 && !label.empty() && label.size() < 10 &&
        label.find_first_not_of("0123456789") == std::string::npos &&
        std::stoll(label) < static_cast<int64_t>(class_names.size()))
      index = std::stoll(label);
    if (index < 0) fail("unknown class '" + label + "'" + suggestion_text(label, class_names));
    const std::vector<uint8_t> bytes = read_file(folder / file);
    if (bytes.empty()) fail("no frame file '" + (folder / file).string() + "'");
    try {
      frames.push_back(conform(decode(bytes), channels, height, width));
    } catch (const std::exception& e) {
      fail("frame '" + file + "' does not decode: " + e.what());
    }
    labels.push_back(index);
  });
  if (frames.empty()) fail("labels.csv lists no frames");
  FrameStream stream;
  stream.frames = torch::stack(frames);
  stream.labels = torch::tensor(labels, torch::kInt64);
  std::vector<int64_t> scenes(labels.size());
  for (size_t i = 1; i < labels.size(); ++i)
    scenes[i] = scenes[i - 1] + (labels[i] != labels[i - 1] ? 1 : 0);
  stream.scenes = torch::tensor(scenes, torch::kInt64);
  stream.frames_per_second = frames_per_second;
  return stream;
}

}  // namespace gear::host
