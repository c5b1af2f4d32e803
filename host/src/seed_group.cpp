#include "gear/host/seed_group.h"

#include <fcntl.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "gear/host/run_folder.h"

extern char** environ;

namespace gear::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct GroupRun {
  int64_t seed = 0;
  fs::path dir;  // relative to the group folder
  std::string status = "pending";
  std::string error;
  int exit_code = 0;
  json summary = json::object();
};

void flatten(const json& value, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  if (value.is_number()) {
    out.emplace_back(prefix, value.get<double>());
  } else if (value.is_object()) {
    for (const auto& [key, inner] : value.items())
      flatten(inner, prefix.empty() ? key : prefix + "." + key, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      if (value[i].is_number()) flatten(value[i], prefix + "." + std::to_string(i), out);
  }
}

json read_json_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return json::object();
  try {
    json value = json::parse(in);
    return value.is_object() ? value : json::object();
  } catch (const std::exception&) {
    return json::object();
  }
}

// The arguments of one seed's child gearhost.
std::vector<std::string> child_arguments(const SeedGroupOptions& options, const Pipeline& pipeline,
                                         int64_t seed, const fs::path& dir) {
  std::vector<std::string> args = {options.gearhost.string(), "run",
                                   options.pipeline_file.string()};
  for (const auto& o : options.overrides) args.push_back(o);
  args.push_back("run.seed=" + std::to_string(seed));
  args.push_back("run.seeds=[]");
  // Parallel runs share the cores: each gets its share unless the pipeline chose a count.
  if (options.jobs > 1 && !pipeline.run.given("threads")) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    args.push_back("run.threads=" + std::to_string(std::max(1, cores / options.jobs)));
  }
  args.insert(args.end(), {"--out", dir.string(), "--log-level", options.log_level});
  for (const auto& p : options.plugin_paths) args.insert(args.end(), {"--plugin-path", p});
  return args;
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& console) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!console.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, console.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start '" + args[0] + "': " + std::strerror(rc));
  return pid;
}

std::string hex64(uint64_t value) {
  std::ostringstream out;
  out << std::hex;
  out.width(16);
  out.fill('0');
  out << value;
  return out.str();
}

}  // namespace

std::vector<int64_t> seeds_up_to(int64_t count) {
  std::vector<int64_t> seeds;
  for (int64_t s = 1; s <= count; ++s) seeds.push_back(s);
  return seeds;
}

json figure_stats(const std::vector<double>& values) {
  const double n = static_cast<double>(values.size());
  double mean = 0.0;
  for (double v : values) mean += v;
  mean = values.empty() ? 0.0 : mean / n;
  double squares = 0.0;
  for (double v : values) squares += (v - mean) * (v - mean);
  const double std = values.size() > 1 ? std::sqrt(squares / (n - 1.0)) : 0.0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return {{"mean", mean},
          {"std", std},
          {"min", values.empty() ? 0.0 : *lo},
          {"max", values.empty() ? 0.0 : *hi},
          {"n", values.size()},
          {"values", values}};
}

std::vector<std::pair<std::string, double>> final_figures(const json& final_block) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : final_block.items()) {
    if (key == "widths" && final_block.contains("groups") && final_block["groups"].is_array() &&
        value.is_array() && final_block["groups"].size() == value.size()) {
      for (size_t i = 0; i < value.size(); ++i)
        out.emplace_back("widths." + final_block["groups"][i].get<std::string>(),
                         value[i].get<double>());
      continue;
    }
    flatten(value, key, out);
  }
  return out;
}

json group_figures(const std::vector<json>& summaries) {
  std::vector<const json*> done;
  for (const auto& s : summaries)
    if (s.value("status", "") == "completed" && s.contains("final")) done.push_back(&s);
  // A figure every completed run has, in first-seen order of the first run.
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> values;
  for (const json* s : done)
    for (const auto& [key, value] : final_figures((*s)["final"])) {
      if (!values.count(key)) order.push_back(key);
      values[key].push_back(value);
    }
  json final = json::object();
  for (const auto& key : order)
    if (values[key].size() == done.size()) final[key] = figure_stats(values[key]);
  auto totals = [&](const char* key) {
    std::vector<double> v;
    for (const json* s : done)
      if (s->contains(key) && (*s)[key].is_number()) v.push_back((*s)[key].get<double>());
    return v.size() == done.size() && !v.empty() ? figure_stats(v) : json();
  };
  json stages = json::array();
  if (!done.empty()) {
    const json& first = (*done.front())["stages"];
    for (size_t i = 0; i < first.size(); ++i) {
      json entry = {{"index", first[i].value("index", 0)},
                    {"kind", first[i].value("kind", "")},
                    {"name", first[i].value("name", "")}};
      for (const char* key : {"wall_seconds", "energy_joules"}) {
        std::vector<double> v;
        for (const json* s : done) {
          const json& records = (*s)["stages"];
          if (i < records.size() && records[i].contains(key)) v.push_back(records[i][key]);
        }
        if (v.size() == done.size()) entry[key] = figure_stats(v);
      }
      stages.push_back(entry);
    }
  }
  json out = {{"final", final}, {"stages", stages}};
  if (json t = totals("wall_seconds"); !t.is_null()) out["wall_seconds"] = t;
  if (json t = totals("energy_joules"); !t.is_null()) out["energy_joules"] = t;
  return out;
}

GroupRecord read_group_record(const fs::path& folder) {
  const fs::path file = folder / "group.json";
  const json group = read_json_file(file);
  GroupRecord record;
  try {
    record.pipeline_file = group.at("pipeline").get<std::string>();
    record.overrides = group.at("overrides").get<std::vector<std::string>>();
    record.seeds = group.at("seeds").get<std::vector<int64_t>>();
  } catch (const json::exception& e) {
    throw ConfigError({}, "--resume",
                      "cannot resume the seed group: " + file.string() +
                          " is unreadable or "
                          "lacks a field (" +
                          e.what() + ")");
  }
  return record;
}

std::string pipeline_hash(const std::string& resolved_toml) {
  std::istringstream in(resolved_toml);
  std::string line, table;
  uint64_t hash = 14695981039346656037ULL;
  bool first = true;
  while (std::getline(in, line)) {
    const bool header_comment = first && line.rfind("#", 0) == 0;
    first = false;
    if (header_comment) continue;
    if (line.rfind("[", 0) == 0) table = line;
    if (table == "[run]") {
      const std::string key = line.substr(0, line.find_first_of(" ="));
      if (key == "seed" || key == "seeds" || key == "name" || key == "out") continue;
    }
    for (unsigned char c : line + "\n") {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  }
  return hex64(hash);
}

int run_seed_group(const Pipeline& pipeline, const SeedGroupOptions& options) {
  const RunSettings& settings = pipeline.run_settings;
  const std::string name = settings.name.empty() ? pipeline.file.stem().string() : settings.name;
  const fs::path root =
      options.out ? *options.out : RunFolder::unique_path(settings.out, name + "-seeds");
  fs::create_directories(root);
  const std::string hash = pipeline_hash(pipeline.resolved_toml());
  std::vector<GroupRun> runs;
  for (int64_t seed : options.seeds) {
    GroupRun run;
    run.seed = seed;
    run.dir = "seed-" + std::to_string(seed);
    runs.push_back(run);
  }
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(runs.size())));
  std::string seed_list;
  for (int64_t seed : options.seeds)
    seed_list += (seed_list.empty() ? "" : ", ") + std::to_string(seed);
  spdlog::info("seed group {}: {} runs (seeds {}), {} at a time", root.string(), runs.size(),
               seed_list, jobs);

  auto write_group = [&](const std::string& status) {
    json list = json::array();
    std::vector<json> summaries;
    for (const auto& r : runs) {
      json entry = {{"seed", r.seed}, {"run_dir", r.dir.string()}, {"status", r.status}};
      if (!r.error.empty()) entry["error"] = r.error;
      list.push_back(entry);
      if (!r.summary.empty()) summaries.push_back(r.summary);
    }
    json group = {{"name", name},
                  {"pipeline", options.pipeline_file.string()},
                  {"overrides", options.overrides},
                  {"pipeline_hash", hash},
                  {"seeds", options.seeds},
                  {"status", status},
                  {"runs", list}};
    group.update(group_figures(summaries));
    write_file_atomic(root / "group.json", group.dump(2) + "\n");
  };
  // Resuming: a completed seed is kept as it is; one that started continues from its point.
  std::vector<bool> resume_run(runs.size(), false);
  if (options.resume)
    for (size_t i = 0; i < runs.size(); ++i) {
      const json summary = read_json_file(root / runs[i].dir / "summary.json");
      if (summary.value("status", "") == "completed") {
        runs[i].status = "completed";
        runs[i].summary = summary;
      } else {
        resume_run[i] = fs::exists(root / runs[i].dir / "summary.json");
      }
    }
  write_group("running");

  std::map<pid_t, size_t> running;
  size_t next = 0;
  auto finish = [&](pid_t pid, int wait_status) {
    GroupRun& run = runs[running.at(pid)];
    running.erase(pid);
    run.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    run.summary = read_json_file(root / run.dir / "summary.json");
    run.status = run.summary.value("status", "failed");
    if (run.exit_code != 0 && run.status == "running") run.status = "failed";
    if (run.exit_code != 0) {
      run.error = run.summary.value("error", "");
      if (run.error.empty())
        run.error = WIFEXITED(wait_status)
                        ? "exited with code " + std::to_string(run.exit_code)
                        : "killed by signal " + std::to_string(WTERMSIG(wait_status));
      spdlog::error("seed {} failed: {}", run.seed, run.error);
    } else {
      spdlog::info(
          "seed {} done: test accuracy {:.4f}", run.seed,
          run.summary.contains("final") ? run.summary["final"].value("clean_accuracy", 0.0) : 0.0);
    }
    write_group("running");
  };
  while (next < runs.size() || !running.empty()) {
    while (next < runs.size() && static_cast<int>(running.size()) < jobs) {
      GroupRun& run = runs[next];
      if (run.status == "completed") {
        ++next;
        continue;
      }
      const fs::path console = jobs > 1 ? root / (run.dir.string() + ".console.txt") : fs::path();
      std::vector<std::string> args;
      if (resume_run[next]) {
        args = {options.gearhost.string(), "run",         "--resume",
                (root / run.dir).string(), "--log-level", options.log_level};
        for (const auto& p : options.plugin_paths) args.insert(args.end(), {"--plugin-path", p});
      } else {
        args = child_arguments(options, pipeline, run.seed, root / run.dir);
      }
      const pid_t pid = spawn(args, console);
      run.status = "running";
      spdlog::info("seed {} started{}", run.seed,
                   console.empty() ? "" : " (console: " + console.string() + ")");
      running[pid] = next++;
    }
    if (running.empty()) break;  // the rest were completed before a resume
    int wait_status = 0;
    const pid_t pid = waitpid(-1, &wait_status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waiting for the seed runs: ") + std::strerror(errno));
    }
    if (running.count(pid)) finish(pid, wait_status);
  }

  int code = 0;
  size_t completed = 0;
  for (const auto& r : runs) {
    code = std::max(code, r.exit_code);
    if (r.status == "completed") ++completed;
  }
  const std::string status = completed == runs.size() ? "completed"
                             : completed == 0         ? "failed"
                                                      : "partial";
  write_group(status);
  const json group = read_json_file(root / "group.json");
  if (group.contains("final") && group["final"].contains("clean_accuracy")) {
    const json& acc = group["final"]["clean_accuracy"];
    spdlog::info(
        "seed group {}: {}/{} runs completed; test accuracy {:.4f} ± {:.4f} "
        "(min {:.4f}, max {:.4f}); gearhost report {} shows the group",
        root.string(), completed, runs.size(), acc["mean"].get<double>(), acc["std"].get<double>(),
        acc["min"].get<double>(), acc["max"].get<double>(), root.string());
  } else {
    spdlog::info("seed group {}: {}/{} runs completed", root.string(), completed, runs.size());
  }
  return code;
}

}  // namespace gear::host
