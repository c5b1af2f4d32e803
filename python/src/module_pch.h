// Precompiled for every source of the module: pybind11 with torch's tensor casters.
#pragma once
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <torch/csrc/utils/pybind.h>
#include <torch/types.h>
