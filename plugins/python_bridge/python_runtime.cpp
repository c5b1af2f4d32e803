// Starts Python inside gearhost without linking libpython: the bridge must also load inside a
// Python process (gear.run), whose interpreter is the python3 executable itself, and a second
// libpython there would be a second, uninitialised interpreter. So every Python entry point is
// looked up at run time: first among the symbols already loaded, else from libpython, which is
// then loaded with RTLD_GLOBAL for the extension modules that expect its symbols.
#include "python_runtime.h"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

#include "python_paths.h"

namespace gear::plugins::python {

namespace {

using IsInitialized = int (*)();
using InitializeEx = void (*)(int);
using RunSimpleString = int (*)(const char*);
using SaveThread = void* (*)();
using GilEnsure = int (*)();
using GilRelease = void (*)(int);

template <typename F>
F python_function(const char* name) {
  void* address = dlsym(RTLD_DEFAULT, name);
  if (!address) throw std::runtime_error(std::string("Python's ") + name + " is not loaded");
  return reinterpret_cast<F>(address);
}

// Python string literal for a folder path.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

void start_python(const std::vector<std::string>& package_folders) {
  if (!dlsym(RTLD_DEFAULT, "Py_IsInitialized") &&
      !dlopen(GEAR_PYTHON_LIBRARY, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE))
    throw std::runtime_error(std::string("cannot load Python (") + GEAR_PYTHON_LIBRARY +
                             "): " + dlerror() + "; install python3-dev");
  if (!python_function<IsInitialized>("Py_IsInitialized")()) {
    python_function<InitializeEx>("Py_InitializeEx")(0);  // Ctrl-C stays gearhost's
    python_function<SaveThread>("PyEval_SaveThread")();   // every later call takes the GIL
  }
  std::string code = "import sys\n";
  for (auto it = package_folders.rbegin(); it != package_folders.rend(); ++it)
    code += "if " + quoted(*it) + " not in sys.path: sys.path.insert(0, " + quoted(*it) + ")\n";
  code += "import gear\n";
  const int state = python_function<GilEnsure>("PyGILState_Ensure")();
  const int failed = python_function<RunSimpleString>("PyRun_SimpleString")(code.c_str());
  python_function<GilRelease>("PyGILState_Release")(state);
  if (failed != 0)
    throw std::runtime_error(
        "cannot import the gear Python module (traceback above); build it with "
        "-DGEAR_BUILD_PYTHON=ON, or put its folder on PYTHONPATH");
}

}  // namespace

void* gear_python_symbol(const char* symbol, const std::vector<std::string>& package_folders) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  // gear/__init__.py loads the extension with RTLD_GLOBAL, so its entry point is visible here.
  if (void* address = dlsym(RTLD_DEFAULT, symbol)) return address;
  start_python(package_folders);
  if (void* address = dlsym(RTLD_DEFAULT, symbol)) return address;
  throw std::runtime_error(std::string("the gear Python module does not export ") + symbol +
                           " (an older build?)");
}

}  // namespace gear::plugins::python
