// gear.run: the same path as `gearhost run`, with the summary returned as a dict.
#include <optional>

#include "bindings.h"
#include "gear/host/logging.h"
#include "gear/host/pipeline.h"
#include "gear/host/runner.h"

namespace gear::python {

void bind_run(py::module_& m) {
  m.def(
      "run",
      [](const std::string& pipeline_path, const std::vector<std::string>& overrides,
         std::optional<std::string> out, const std::string& log_level) {
        host::setup_logging(log_level);
        const host::Registry& plugins = registry();
        nlohmann::json summary;
        {
          // Training runs without the GIL: other Python threads go on, and a python: growth
          // strategy takes it back when the host calls it.
          py::gil_scoped_release release;
          host::Pipeline pipeline = host::read_pipeline(pipeline_path, overrides, plugins);
          host::RunOptions options;
          if (out) options.out = *out;
          summary = host::run_pipeline(pipeline, plugins, options);
        }
        return to_python(summary);
      },
      py::arg("pipeline"), py::arg("overrides") = std::vector<std::string>{},
      py::arg("out") = py::none(), py::arg("log_level") = "info",
      "Runs a pipeline file like `gearhost run` and returns summary.json as a dict. "
      "`overrides` are key=value strings (\"stage.0.epochs=1\"); `out` puts the run folder "
      "exactly there. Bad input raises gear.ConfigError (file, line, column, key), unreadable "
      "data gear.DataError, a failing plugin gear.PluginError; a failed run still leaves its "
      "folder with summary.json saying why.");
}

}  // namespace gear::python
