// Precompiled for every source of the module: pybind11 with torch's tensor casters.
#pragma once
#include <torch/csrc/utils/pybind.h>
#include <torch/types.h>
#include <pybind11/stl.h>
#include <pybind11/functional.h>
