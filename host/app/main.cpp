// gearhost: the command-line host. Exit codes: 0 ok, 2 bad input, 1 runtime failure.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "gear/dataset.h"
#include "gear/host/distributed/launcher.h"
#include "gear/host/distributed/world.h"
#include "gear/host/env_info.h"
#include "gear/host/host_schemas.h"
#include "gear/host/logging.h"
#include "gear/host/pipeline.h"
#include "gear/host/plugin_error.h"
#include "gear/host/plugin_loader.h"
#include "gear/host/progress.h"
#include "gear/host/run_signals.h"
#include "gear/host/runner.h"
#include "gear/host/seed_group.h"
#include "gear/host/stage_kind.h"
#include "gear/host/text_match.h"
#include "gear/report/report_command.h"

namespace {

using namespace gear;
using namespace gear::host;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

void load_all(Registry& registry, const std::vector<std::string>& plugin_paths) {
  load_plugins(plugin_search_path(plugin_paths), registry);
}

int list_plugins(const Registry& registry) {
  // One section per kind, each named and documented by its interface (component_kind.h).
  for (const auto& [kind, doc] : registry.kinds()) {
    std::printf("%s: %s\n", kind.c_str(), doc.c_str());
    for (const auto* entry : registry.entries()) {
      if (entry->info.kind != kind) continue;
      std::printf("  %-20s %-10s %s\n", entry->info.name.c_str(),
                  registry.version_of(entry->library).c_str(), entry->library.c_str());
      std::printf("  %-20s %s\n", "", entry->info.doc.c_str());
    }
    std::printf("\n");
  }
  bool header = false;
  for (const auto& p : registry.plugins()) {
    if (!p.loaded || !p.components.empty()) continue;
    if (!header) std::printf("LOADED BUT REGISTERED NOTHING\n");
    header = true;
    std::printf("  %s (%s)\n", p.path.c_str(), p.name.c_str());
  }
  header = false;
  for (const auto& p : registry.plugins()) {
    if (p.loaded) continue;
    if (!header) std::printf("REFUSED\n");
    header = true;
    std::printf("  %s\n    %s\n", p.path.c_str(), p.refusal.c_str());
  }
  if (registry.entries().empty())
    std::printf("no plugins found%s\n", registry.searched_text().c_str());
  return kExitOk;
}

void print_schema(const OptionSchema& schema) {
  if (schema.options().empty()) std::printf("  no options\n");
  for (const auto& spec : schema.options()) {
    if (spec.name == OptionSchema::kOtherKeys) {
      std::printf("  %-18s %-16s\n      %s\n", "(any other key)", "any", spec.doc.c_str());
      continue;
    }
    std::string def = spec.default_value ? to_toml(*spec.default_value) : "(required)";
    std::string limits;
    if (spec.min || spec.max)
      limits = " range [" + (spec.min ? to_toml(Value(*spec.min)) : std::string("-inf")) + ", " +
               (spec.max ? to_toml(Value(*spec.max)) : std::string("inf")) + "]";
    if (!spec.choices.empty()) {
      limits += " one of:";
      for (const auto& c : spec.choices) limits += " " + c;
    }
    std::printf("  %-18s %-16s = %-12s%s\n      %s\n", spec.name.c_str(), to_string(spec.type),
                def.c_str(), limits.c_str(), spec.doc.c_str());
  }
}

// The host's own keys: `describe run|data|model|<stage kind>`.
bool describe_host_table(const std::string& name) {
  OptionSchema schema;
  std::string title, note;
  if (name == "run") {
    schema = run_schema();
    title = "[run]";
  } else if (name == "data") {
    schema = data_schema();
    title = "[data] (host keys; the dataset plugin adds its own)";
  } else if (name == "model") {
    schema = model_schema();
    title = "[model] (host keys; the architecture plugin adds its own)";
  } else if (name == "meter") {
    schema = meter_schema();
    title = "[meter] (host keys; the power meter plugin adds its own)";
  } else if (const StageKind* kind = find_stage_kind(name)) {
    schema = kind->schema();
    title = "[[stage]] kind = \"" + name + "\": " + kind->doc();
    note = kind->describe_note();
  } else {
    return false;
  }
  std::printf("%s\n\n", title.c_str());
  print_schema(schema);
  if (name == "model") {
    // A table, which OptionSchema cannot declare: documented here by hand.
    std::printf("  %-18s %-16s = %-12s\n      %s\n", "budget", "table", "{}",
                "caps on the grown network: { params = N, bytes = N or \"8MiB\", train_memory = "
                "N or \"512MiB\" }; sizes in B, KB, MB, GB (1000-based) or KiB, MiB, GiB "
                "(1024-based); train_memory is the peak of one training step at data.batch_size "
                "plus weights and momentum");
  }
  if (!note.empty()) std::printf("\n%s\n", note.c_str());
  return true;
}

int describe(const Registry& registry, const std::string& name) {
  const ComponentEntry* entry = registry.find(name);
  if (!entry) {
    if (describe_host_table(name)) return kExitOk;
    std::vector<std::string> all = {"run", "data", "model", "meter"};
    for (const auto& kind : stage_kind_names()) all.push_back(kind);
    for (const auto* e : registry.entries()) all.push_back(e->info.name);
    throw ConfigError({}, "", "no plugin component or host table named '" + name + "'" +
                                  suggestion_text(name, all));
  }
  std::printf("%s (%s) from %s\n  %s\n\n", entry->info.name.c_str(), entry->info.kind.c_str(),
              entry->library.c_str(), entry->info.doc.c_str());
  print_schema(entry->info.schema);
  return kExitOk;
}

std::string host_tables_text() {
  std::string text = "run, data, model, meter";
  for (const auto& kind : stage_kind_names()) text += ", " + kind;
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gearhost: grow CNNs, make them robust and measure them, as TOML pipelines describe"};
  app.set_version_flag("--version", std::string("gearhost ") + gear_version());
  app.require_subcommand(1);
  std::vector<std::string> plugin_paths;
  std::string log_level = "info";
  app.add_option("--plugin-path", plugin_paths, "extra plugin folder (searched first)")
      ->type_name("DIR");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();

  auto* run = app.add_subcommand("run", "run a pipeline: gearhost run FILE [key=value ...]");
  std::string pipeline_file;
  std::vector<std::string> overrides;
  std::string out;
  std::string resume_dir;
  run->add_option("file", pipeline_file, "pipeline TOML file");
  run->add_option("--resume", resume_dir,
                  "continue the stopped or killed run in DIR from its last resume point")
      ->type_name("DIR");
  run->add_option("overrides", overrides, "key=value overrides (stage.0.epochs=1)");
  run->add_option("--out", out, "put the run folder exactly at DIR")->type_name("DIR");
  run->add_option("--plugin-path", plugin_paths, "extra plugin folder")->type_name("DIR");
  run->add_option("--log-level", log_level, "log level");
  int64_t seed_count = 0;
  int jobs = 0;
  run->add_option("--seeds", seed_count,
                  "run once per seed 1..N into one group folder with the group's statistics "
                  "(as run.seeds = [1, ..., N])")
      ->type_name("N");
  run->add_option("--jobs", jobs,
                  "with seeds: runs at once, as separate processes sharing the cores")
      ->type_name("N");
  int nproc = 0, master_port = 0;
  double rank_timeout = 300.0;
  run->add_option("--nproc", nproc,
                  "data parallelism: N ranks of this run on this machine, on torch's c10d (Gloo); "
                  "across machines start one gearhost per rank with torchrun's or Slurm's "
                  "variables instead")
      ->type_name("N");
  run->add_option("--master-port", master_port,
                  "with --nproc: the rendezvous port on 127.0.0.1 (default: a free one)")
      ->type_name("PORT");
  run->add_option("--rank-timeout", rank_timeout,
                  "data parallelism: seconds a rank waits for the others (rendezvous, each "
                  "collective) before it reports the rank that stopped")
      ->type_name("SECONDS")
      ->capture_default_str();

  auto* validate = app.add_subcommand("validate", "check a pipeline without running it");
  validate->add_option("file", pipeline_file, "pipeline TOML file")->required();
  validate->add_option("overrides", overrides, "key=value overrides");
  validate->add_option("--plugin-path", plugin_paths, "extra plugin folder")->type_name("DIR");

  auto* list = app.add_subcommand("list", "list plugins found, and any refused with the reason");
  list->add_option("--plugin-path", plugin_paths, "extra plugin folder")->type_name("DIR");

  auto* describe_cmd = app.add_subcommand(
      "describe",
      "show a plugin component's options, or the host's keys of a table: " + host_tables_text());
  std::string component;
  describe_cmd->add_option("name", component, "component name (e.g. vgg11) or host table")
      ->required();
  describe_cmd->add_option("--plugin-path", plugin_paths, "extra plugin folder")->type_name("DIR");

  auto* report_cmd = app.add_subcommand(
      "report", "one self-contained HTML page and a table of runs and seed groups");
  report::ReportRequest report_request;
  std::vector<std::string> report_inputs;
  std::string report_html, report_markdown, report_csv;
  bool report_quiet = false;
  report_cmd->add_option("folders", report_inputs, "run folders and group folders")->required();
  report_cmd->add_option("--html", report_html,
                         "the page; default: report.html in the only folder, else ./report.html")
      ->type_name("FILE");
  report_cmd->add_option("--markdown", report_markdown, "the table as Markdown (- for stdout)")
      ->type_name("FILE");
  report_cmd->add_option("--csv", report_csv, "the table as CSV (- for stdout)")
      ->type_name("FILE");
  report_cmd->add_flag("--quiet", report_quiet, "do not print the table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 says only that a subcommand is required; name the word it did not know.
    std::vector<std::string> commands;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      commands.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
      const std::string word = argv[i];
      if (word.empty() || word[0] == '-') {
        if (word == "--plugin-path" || word == "--log-level") ++i;  // skip the option's value
        continue;
      }
      if (std::find(commands.begin(), commands.end(), word) != commands.end()) break;
      std::fprintf(stderr,
                   "gearhost: unknown command '%s'%s\nRun with --help for more information.\n",
                   word.c_str(), suggestion_text(word, commands).c_str());
      return kExitBadInput;
    }
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  try {
    setup_logging(log_level);
    if (report_cmd->parsed()) {
      for (const auto& input : report_inputs) report_request.inputs.emplace_back(input);
      if (!report_html.empty()) report_request.html = report_html;
      if (!report_markdown.empty()) report_request.markdown = report_markdown;
      if (!report_csv.empty()) report_request.csv = report_csv;
      report_request.print_table = !report_quiet;
      return report::run_report(report_request);
    }
    Registry registry;
    load_all(registry, plugin_paths);
    // A python: strategy's gear module uses these plugins; cleared however main leaves.
    set_process_registry(&registry);
    struct ClearProcessRegistry {
      ~ClearProcessRegistry() { set_process_registry(nullptr); }
    } clear_process_registry;
    if (list->parsed()) return list_plugins(registry);
    if (describe_cmd->parsed()) return describe(registry, component);
    const bool resume = run->parsed() && !resume_dir.empty();
    // With --resume the first key=value lands in FILE's place.
    if (resume && pipeline_file.find('=') != std::string::npos) {
      overrides.insert(overrides.begin(), pipeline_file);
      pipeline_file.clear();
    }
    if (run->parsed() && resume == !pipeline_file.empty())
      throw ConfigError({}, "run",
                        resume ? "give either a pipeline FILE or --resume DIR, not both"
                               : "needs a pipeline FILE (or --resume DIR)");
    if (resume && std::filesystem::exists(std::filesystem::path(resume_dir) / "group.json")) {
      // A seed group: its pipeline and overrides as group.json recorded them.
      if (!overrides.empty() || run->count("--seeds") || run->count("--out"))
        throw ConfigError({}, "--resume",
                          "a resumed seed group keeps its pipeline, seeds and folder: no "
                          "key=value overrides, --seeds or --out (--jobs may change)");
      const GroupRecord record = read_group_record(resume_dir);
      Pipeline pipeline = read_pipeline(record.pipeline_file, record.overrides, registry);
      SeedGroupOptions group;
      group.gearhost = std::filesystem::read_symlink("/proc/self/exe");
      group.pipeline_file = record.pipeline_file;
      group.overrides = record.overrides;
      group.plugin_paths = plugin_paths;
      group.log_level = log_level;
      group.seeds = record.seeds;
      group.jobs = std::max(1, jobs);
      group.out = resume_dir;
      group.resume = true;
      return run_seed_group(pipeline, group);
    }
    if (resume) {
      if (!overrides.empty() || run->count("--seeds") || run->count("--jobs") ||
          run->count("--out"))
        throw ConfigError({}, "--resume",
                          "a resumed run keeps its pipeline, seeds and folder: no key=value "
                          "overrides, --seeds, --jobs or --out");
      pipeline_file = (std::filesystem::path(resume_dir) / "pipeline.resolved.toml").string();
      if (!std::filesystem::exists(pipeline_file))
        throw ConfigError({}, "--resume",
                          "'" + resume_dir +
                              "' is not a run folder: it has no "
                              "pipeline.resolved.toml");
      out = resume_dir;
    }
    Pipeline pipeline = read_pipeline(pipeline_file, overrides, registry);
    if (validate->parsed()) {
      std::printf("%s: ok (%zu stages)\n", pipeline_file.c_str(), pipeline.stages.size());
      return kExitOk;
    }
    if (run->count("--seeds") && seed_count < 1)
      throw ConfigError({}, "--seeds", "must be at least 1, got " + std::to_string(seed_count));
    if (run->count("--seeds") && !pipeline.run_settings.seeds.empty())
      pipeline.run.fail("seeds", "the pipeline lists seeds and the command line gives --seeds " +
                                     std::to_string(seed_count) + "; keep one of them");
    const std::vector<int64_t> seeds =
        run->count("--seeds") ? seeds_up_to(seed_count) : pipeline.run_settings.seeds;
    if (run->count("--jobs") && jobs < 1)
      throw ConfigError({}, "--jobs", "must be at least 1, got " + std::to_string(jobs));
    if (run->count("--jobs") && seeds.empty())
      throw ConfigError({}, "--jobs",
                        "runs the seeds of a group in parallel; give --seeds N or run.seeds");
    if (!seeds.empty() && (nproc > 1 || rank_spec_from_env()))
      throw ConfigError({}, "--nproc",
                        "data parallelism runs one run on several ranks; a seed group (--seeds or "
                        "run.seeds) is several runs: run the seeds one after another, or in "
                        "parallel with --jobs");
    if (!seeds.empty()) {
      SeedGroupOptions group;
      group.gearhost = std::filesystem::read_symlink("/proc/self/exe");
      group.pipeline_file = pipeline_file;
      group.overrides = overrides;
      group.plugin_paths = plugin_paths;
      group.log_level = log_level;
      group.seeds = seeds;
      group.jobs = std::max(1, jobs);
      if (!out.empty()) group.out = out;
      return run_seed_group(pipeline, group);
    }
    if (run->count("--nproc") && nproc < 1)
      throw ConfigError({}, "--nproc", "must be at least 1, got " + std::to_string(nproc));
    if (rank_timeout <= 0.0)
      throw ConfigError({}, "--rank-timeout",
                        "must be positive seconds, got " + std::to_string(rank_timeout));
    if (master_port < 0 || master_port > 65535)
      throw ConfigError({}, "--master-port",
                        "must be 1..65535 (0: a free one), got " + std::to_string(master_port));
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(rank_timeout * 1000.0));
    if (nproc > 1) {
      // The launcher checked the pipeline above; every rank reads it again and compares.
      LaunchOptions launch;
      launch.gearhost = std::filesystem::read_symlink("/proc/self/exe");
      for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--nproc" || word == "--master-port") {
          ++i;
          continue;
        }
        if (word.rfind("--nproc=", 0) == 0 || word.rfind("--master-port=", 0) == 0) continue;
        launch.args.push_back(word);
      }
      launch.nproc = nproc;
      launch.master_port = master_port;
      launch.timeout = timeout;
      return launch_ranks(launch);
    }
    RunOptions options;
    if (!out.empty()) options.out = out;
    options.resume = resume;
    options.tty = Progress::stderr_is_tty();
    std::unique_ptr<World> world;
    if (const std::optional<RankSpec> spec = rank_spec_from_env()) {
      set_console_rank(spec->rank, spec->size);
      spdlog::info("rank {} of {} ({}), rendezvous {}:{}", spec->rank, spec->size, spec->source,
                   spec->master_addr, spec->master_port);
      world = std::make_unique<World>(*spec, timeout);
      set_current_world(world.get());
      options.world = world.get();
    }
    struct ClearWorld {
      ~ClearWorld() { set_current_world(nullptr); }
    } clear_world;
    install_run_signal_handlers();
    try {
      run_pipeline(pipeline, registry, options);
    } catch (const std::exception& e) {
      if (world && !dynamic_cast<const Interrupted*>(&e)) world->report_failure(e.what());
      throw;
    }
    return kExitOk;
  } catch (const Interrupted& e) {
    return stop_exit_code(e.signal());  // the runner logged where it stopped and how to resume
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const DataError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const report::ReportError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}
