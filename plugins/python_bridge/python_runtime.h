#pragma once

#include <string>
#include <vector>

namespace gear::plugins::python {

/// Makes sure a Python interpreter with the gear package imported runs in this process, and
/// returns the address of `symbol` from the gear extension module. Inside Python (gear.run) the
/// interpreter and the module are already there. Inside gearhost, Python's shared library is
/// loaded with global symbols (extension modules such as torch need them), the interpreter is
/// started without signal handlers, `package_folders` are put first on sys.path and gear is
/// imported. Thread-safe; the interpreter lives until the process ends. Throws
/// std::runtime_error saying what is missing.
void* gear_python_symbol(const char* symbol, const std::vector<std::string>& package_folders);

}  // namespace gear::plugins::python
