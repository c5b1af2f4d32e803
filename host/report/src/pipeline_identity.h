#pragma once

/// @file
/// Whether runs come from the same pipeline: the hash of pipeline.resolved.toml without what
/// differs between seeds of one pipeline (the header comment naming the file as given, and the
/// [run] seed, seeds, name and out lines), as group.json's pipeline_hash leaves them out.

#include <filesystem>
#include <optional>
#include <string>

namespace gear::report {

/// `text` without its first line when that is a comment, and without the `seed`, `seeds`,
/// `name` and `out` keys of its [run] table.
std::string normalized_resolved_toml(const std::string& text);

/// 64-bit FNV-1a of `text` as 16 hex digits: stable across builds and machines (std::hash is
/// not), and a collision between two pipelines of one report is not a concern.
std::string text_hash(const std::string& text);

/// The hash of the normalized `pipeline.resolved.toml` in `run_dir`; empty when it is missing.
std::optional<std::string> resolved_pipeline_hash(const std::filesystem::path& run_dir);

}  // namespace gear::report
