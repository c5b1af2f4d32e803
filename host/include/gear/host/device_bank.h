#pragma once

/// @file
/// The pipeline's device profiles: `[[device]]` tables (or the built-in phone-like bank) read
/// and validated against the device_step plugins' schemas, and the DeviceBank the evaluators and
/// objectives reach, which runs each profile's steps with errors attributed to them.

#include <toml++/toml.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gear/device_profile.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// Reads the pipeline's `device` array of tables (`node` is root["device"], borrowed; null: the
/// built-in bank, when the registry has the steps it needs, else none). Throws ConfigError at
/// file:line for an empty list, a profile without a name or with a repeated one, an unknown
/// step (with did-you-mean), an option its step does not take or out of its range, an unknown
/// precision.
DeviceProfiles read_device_profiles(const toml::node* node, const std::string& file,
                                    const Registry& registry);

/// The built-in bank's TOML text (host/data/default_devices.toml, compiled in).
const char* default_devices_toml();

/// Writes the profiles back as [[device]] tables with every option, for resolved.toml.
void write_device_profiles(std::ostream& out, const DeviceProfiles& profiles);

/// The DeviceBank of a run: every step created once from its options.
class HostDeviceBank final : public DeviceBank {
 public:
  /// `profiles` is copied; `registry` is borrowed for the call. Throws ConfigError at the
  /// [[device]] table when there is no profile at all.
  HostDeviceBank(const DeviceProfiles& profiles, const Registry& registry);

  int64_t size() const override { return static_cast<int64_t>(profiles_.size()); }
  std::string name(int64_t k) const override { return at(k).spec.name; }
  int64_t find(const std::string& name) const override;
  Precision precision(int64_t k) const override { return at(k).spec.precision; }
  bool lossless(int64_t k) const override;
  bool canonical(int64_t k) const override { return at(k).spec.canonical; }
  torch::Tensor apply(int64_t k, const torch::Tensor& images,
                      torch::Generator& generator) const override;

  /// Throws ConfigError at the first profile whose steps turn `channels`-channel images into
  /// images of another channel count (the net takes `channels`), naming the step that does.
  void check_channels(int64_t channels) const;
  /// Throws ConfigError at the first profile whose precision `device` cannot run (fp16 on a
  /// CPU).
  void check_precisions(const torch::Device& device) const;
  /// The indices of the profiles named in `names` (when empty: all but the canonicalisers). Throws
  /// ConfigError at `options`' key `key` for an unknown name, with did-you-mean.
  std::vector<int64_t> select(const std::vector<std::string>& names, const Config& options,
                              const std::string& key) const;
  /// Where profile `k` was written.
  const SourcePosition& where(int64_t k) const { return at(k).spec.where; }

 private:
  struct Step {
    std::shared_ptr<DeviceStep> step;
    std::string library;
  };
  struct Profile {
    DeviceProfileSpec spec;
    std::vector<Step> steps;
  };
  const Profile& at(int64_t k) const;
  std::vector<Profile> profiles_;
};

/// Images of `images` (uint8 [N, C, H, W], borrowed) each passed through one of the bank's
/// profiles `choices` (indices), drawn uniformly per image from `generator`: a device view.
torch::Tensor device_view(const DeviceBank& bank, const std::vector<int64_t>& choices,
                          const torch::Tensor& images, torch::Generator& generator);

}  // namespace gear::host
