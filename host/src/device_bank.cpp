#include "gear/host/device_bank.h"

#include <set>
#include <sstream>

#include "gear/host/stage_reading.h"
#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

constexpr const char* kDeviceStepKind = ComponentKindOf<DeviceStep>::kName;
// What the built-in bank is called in messages: it is no file the user can open.
constexpr const char* kBuiltInFile = "<built-in device bank>";

std::vector<std::string> precision_names() { return {"fp32", "bf16", "fp16", "int8"}; }

ComponentRef read_step(const toml::node& node, const std::string& path, const std::string& file,
                       const Registry& registry) {
  if (!node.is_table())
    throw ConfigError(position_of(node, file), path,
                      "each step is a table: {step = \"jpeg\", quality = 80}");
  const toml::table& table = *node.as_table();
  if (!table.get("step"))
    throw ConfigError(
        position_of(node, file), path + ".step", "a step needs step = \"...\", one of: " + [&] {
          std::string list;
          for (const auto& n : registry.names(kDeviceStepKind))
            list += (list.empty() ? "" : ", ") + n;
          return list.empty() ? std::string("none loaded") : list;
        }());
  Config ignored;
  return component_section(table, path, "step", "", kDeviceStepKind, OptionSchema(), registry, file,
                           &ignored, {"step"});
}

DeviceProfileSpec read_profile(const toml::node& node, const std::string& path,
                               const std::string& file, const Registry& registry) {
  if (!node.is_table())
    throw ConfigError(position_of(node, file), path, "each [[device]] must be a table");
  const toml::table& table = *node.as_table();
  DeviceProfileSpec spec;
  spec.where = position_of(table, file);
  for (const auto& [key, value] : table) {
    const std::string k(key.str());
    static const std::vector<std::string> kKeys = {"name", "doc", "precision", "canonical",
                                                   "steps"};
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
      throw ConfigError(
          position_of(value, file), path + "." + k,
          "unknown key '" + k + "' in a [[device]] table" + suggestion_text(k, kKeys));
  }
  spec.name = string_key(table, "name", "", path, file);
  if (spec.name.empty())
    throw ConfigError(spec.where, path + ".name", "a [[device]] table needs name = \"...\"");
  spec.doc = string_key(table, "doc", "", path, file);
  if (const toml::node* canonical = table.get("canonical")) {
    if (!canonical->is_boolean())
      throw ConfigError(position_of(*canonical, file), path + ".canonical",
                        "expected true or false");
    spec.canonical = *canonical->value<bool>();
  }
  const std::string precision = string_key(table, "precision", "fp32", path, file);
  const auto parsed = precision_from_string(precision);
  if (!parsed) {
    const toml::node* p = table.get("precision");
    throw ConfigError(
        position_of(*p, file), path + ".precision",
        "unknown precision '" + precision + "'" + suggestion_text(precision, precision_names()));
  }
  spec.precision = *parsed;
  if (const toml::node* steps = table.get("steps")) {
    if (!steps->is_array())
      throw ConfigError(position_of(*steps, file), path + ".steps",
                        "steps is a list of tables: steps = [{step = \"jpeg\", quality = 80}]");
    int index = 0;
    for (const auto& step : *steps->as_array())
      spec.steps.push_back(
          read_step(step, path + ".steps." + std::to_string(index++), file, registry));
  }
  return spec;
}

DeviceProfiles read_profiles(const toml::node& node, const std::string& file,
                             const Registry& registry) {
  if (!node.is_array())
    throw ConfigError(position_of(node, file), "device",
                      "device profiles are written as [[device]] tables (an array of tables)");
  const toml::array& array = *node.as_array();
  if (array.empty())
    throw ConfigError(position_of(node, file), "device",
                      "the device profile list is empty: write at least one [[device]] table, "
                      "or leave the key out for the built-in bank");
  DeviceProfiles out;
  std::set<std::string> seen;
  int index = 0;
  for (const auto& profile : array) {
    const std::string path = "device." + std::to_string(index++);
    DeviceProfileSpec spec = read_profile(profile, path, file, registry);
    if (!seen.insert(spec.name).second)
      throw ConfigError(spec.where, path + ".name",
                        "a second device profile named '" + spec.name + "'");
    out.profiles.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

DeviceProfiles read_device_profiles(const toml::node* node, const std::string& file,
                                    const Registry& registry) {
  if (node) return read_profiles(*node, file, registry);
  // The built-in bank needs the devices plugin; without it a pipeline that uses no profile
  // must still run, so the bank is simply absent and its users say why.
  if (!registry.find("jpeg", kDeviceStepKind)) return {};
  toml::table root = toml::parse(default_devices_toml(), std::string_view(kBuiltInFile));
  DeviceProfiles bank = read_profiles(*root.get("device"), kBuiltInFile, registry);
  bank.built_in = true;
  return bank;
}

void write_device_profiles(std::ostream& out, const DeviceProfiles& profiles) {
  // The built-in bank is written out like any other, so the resolved file pins it and reads
  // back to the same pipeline.
  if (!profiles.profiles.empty()) out << "\n# Device profiles\n";
  for (const auto& profile : profiles.profiles) {
    out << "\n[[device]]\nname = " << toml::value<std::string>(profile.name) << "\n";
    if (!profile.doc.empty()) out << "doc = " << toml::value<std::string>(profile.doc) << "\n";
    if (profile.canonical) out << "canonical = true\n";
    out << "precision = \"" << to_string(profile.precision) << "\"\n";
    out << "steps = [\n";
    for (const auto& step : profile.steps) {
      std::ostringstream options;
      write_config(options, step.options, {"step"});
      std::string line = "  {step = \"" + step.name + "\"";
      std::istringstream lines(options.str());
      for (std::string option; std::getline(lines, option);)
        if (!option.empty()) line += ", " + option;
      out << line << "},\n";
    }
    out << "]\n";
  }
}

HostDeviceBank::HostDeviceBank(const DeviceProfiles& profiles, const Registry& registry) {
  for (const auto& spec : profiles.profiles) {
    Profile profile{spec, {}};
    for (const auto& step : spec.steps)
      profile.steps.push_back(
          {registry.create<DeviceStep>(step.name, step.options), registry.library_of(step.name)});
    profiles_.push_back(std::move(profile));
  }
  if (profiles_.empty())
    throw ConfigError({}, "device",
                      "no device profiles: write [[device]] tables, or load the devices plugin "
                      "(gear-devices) for the built-in bank" +
                          registry.searched_text());
}

const HostDeviceBank::Profile& HostDeviceBank::at(int64_t k) const {
  if (k < 0 || k >= size())
    throw std::out_of_range("device profile " + std::to_string(k) + " of " +
                            std::to_string(size()));
  return profiles_[static_cast<size_t>(k)];
}

int64_t HostDeviceBank::find(const std::string& name) const {
  for (int64_t k = 0; k < size(); ++k)
    if (profiles_[static_cast<size_t>(k)].spec.name == name) return k;
  return -1;
}

bool HostDeviceBank::lossless(int64_t k) const {
  const Profile& profile = at(k);
  if (profile.spec.precision != Precision::kFp32) return false;
  for (const auto& step : profile.steps)
    if (!step.step->lossless()) return false;
  return true;
}

torch::Tensor HostDeviceBank::apply(int64_t k, const torch::Tensor& images,
                                    torch::Generator& generator) const {
  const Profile& profile = at(k);
  torch::Tensor out = images;
  for (size_t i = 0; i < profile.steps.size(); ++i) {
    const Step& step = profile.steps[i];
    const ComponentRef& ref = profile.spec.steps[i];
    const std::string where = profile.spec.where.str() + " (device '" + profile.spec.name +
                              "', step " + std::to_string(i) + ")";
    call_plugin(ref.name, step.library, where, [&] {
      torch::Tensor next = step.step->apply(out, generator);
      if (next.scalar_type() != torch::kUInt8 || next.dim() != 4 || next.size(0) != out.size(0) ||
          next.size(2) != out.size(2) || next.size(3) != out.size(3) ||
          next.size(1) != step.step->output_channels(out.size(1)))
        throw std::runtime_error("returned images of another shape or type than it declares");
      out = next;
    });
  }
  return out;
}

void HostDeviceBank::check_channels(int64_t channels) const {
  for (const Profile& profile : profiles_) {
    int64_t c = channels;
    for (size_t i = 0; i < profile.steps.size(); ++i) {
      const int64_t next = profile.steps[i].step->output_channels(c);
      if (next != c && next != channels)
        throw ConfigError(profile.spec.where, "device." + profile.spec.name,
                          "step " + std::to_string(i) + " '" + profile.spec.steps[i].name +
                              "' turns " + std::to_string(c) + "-channel images into " +
                              std::to_string(next) + "-channel ones, but the net takes " +
                              std::to_string(channels) + " channel(s)");
      c = next;
    }
    if (c != channels)
      throw ConfigError(profile.spec.where, "device." + profile.spec.name,
                        "the profile turns " + std::to_string(channels) + "-channel images into " +
                            std::to_string(c) + "-channel ones, but the net takes " +
                            std::to_string(channels));
  }
}

void HostDeviceBank::check_precisions(const torch::Device& device) const {
  for (const Profile& profile : profiles_)
    if (profile.spec.precision == Precision::kFp16 && !device.is_cuda())
      throw ConfigError(profile.spec.where, "device." + profile.spec.name + ".precision",
                        "fp16 inference needs a CUDA device; this run is on " + device.str() +
                            " (use bf16 or int8 for a CPU)");
}

std::vector<int64_t> HostDeviceBank::select(const std::vector<std::string>& names,
                                            const Config& options, const std::string& key) const {
  std::vector<int64_t> out;
  if (names.empty()) {
    for (int64_t k = 0; k < size(); ++k)
      if (!canonical(k)) out.push_back(k);
    if (out.empty()) options.fail(key, "every device profile is a canonicaliser: name some");
    return out;
  }
  std::vector<std::string> all;
  for (const Profile& profile : profiles_) all.push_back(profile.spec.name);
  for (const auto& name : names) {
    const int64_t k = find(name);
    if (k < 0)
      options.fail(key, "unknown device profile '" + name + "'" + suggestion_text(name, all));
    if (std::find(out.begin(), out.end(), k) != out.end())
      options.fail(key, "device profile '" + name + "' is named twice");
    out.push_back(k);
  }
  return out;
}

torch::Tensor device_view(const DeviceBank& bank, const std::vector<int64_t>& choices,
                          const torch::Tensor& images, torch::Generator& generator) {
  const int64_t n = images.size(0);
  const auto count = static_cast<int64_t>(choices.size());
  torch::Tensor drawn =
      torch::randint(count, {n}, generator,
                     torch::TensorOptions().dtype(torch::kLong).device(images.device()))
          .to(torch::kCPU);
  torch::Tensor out;
  for (int64_t c = 0; c < count; ++c) {
    torch::Tensor rows = (drawn == c).nonzero().flatten();
    if (rows.numel() == 0) continue;
    torch::Tensor rows_here = rows.to(images.device());
    torch::Tensor part =
        bank.apply(choices[static_cast<size_t>(c)], images.index_select(0, rows_here), generator);
    if (!out.defined())
      out = torch::empty({n, part.size(1), part.size(2), part.size(3)}, part.options());
    out.index_copy_(0, rows_here.to(out.device()), part.to(out.device()));
  }
  return out;
}

}  // namespace gear::host
