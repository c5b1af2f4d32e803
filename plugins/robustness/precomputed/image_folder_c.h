#pragma once

/// @file
/// Reader for the released Tiny-ImageNet-C and ImageNet-C sets (Hendrycks & Dietterich 2019):
/// JPEG files in `<root>/<corruption>/<severity 1-5>/<wnid>/<file>.JPEG`.

#include <filesystem>
#include <string>
#include <vector>

#include "corrupted_set.h"

namespace gear::plugins {
namespace robustness {

/// The corruptions present under `root`: its sub-folders, sorted. Throws DataError for a
/// missing `root`.
std::vector<std::string> image_folder_c_corruptions(const std::filesystem::path& root);

/// Decodes every JPEG of `corruption` at `severity` into uint8 [N, 3, H, W] (greyscale JPEGs
/// replicated to three channels) with int64 labels. A class folder's label is its position in
/// `classes`; an empty `classes` means the sorted folder names, as torchvision's ImageFolder
/// numbers them. Images come in class-folder order, then file-name order, both sorted bytewise.
/// Files named .jpeg/.jpg in any case are read; hidden files and other extensions (.txt, ...)
/// are skipped, except .png, which is refused rather than silently dropped. Decodes in
/// parallel with at::parallel_for.
///
/// Throws DataError for a severity outside 1..5, a missing folder (naming the path; for a
/// missing corruption, also those present), a class folder not in `classes` (naming it), a
/// folder with no images, an unreadable or corrupt JPEG (naming the file), or an image whose
/// size differs from the first one's (naming both sizes).
CorruptedSet read_image_folder_c(const std::filesystem::path& root, const std::string& corruption,
                                 int severity, const std::vector<std::string>& classes);

}  // namespace robustness
}  // namespace gear::plugins
