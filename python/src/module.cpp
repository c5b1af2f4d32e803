// The _gear extension module; gear/__init__.py re-exports it with the Python-side classes.
#include "bindings.h"
#include "gear/host/env_info.h"

PYBIND11_MODULE(_gear, m) {
  namespace py = pybind11;
  m.doc() = "GEAR's C++ core: plugins, pipelines, growable nets, augmentation ops, corruptions";
  m.attr("__version__") = gear::host::gear_version();
  gear::python::bind_errors(m);
  gear::python::bind_plugins(m);
  gear::python::bind_run(m);
  gear::python::bind_net(m);
  gear::python::bind_ops(m);
  gear::python::bind_growth(m);
  gear::python::bind_pruning(m);
}
