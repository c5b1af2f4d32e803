#pragma once

/// @file
/// The standard CIFAR class names and CIFAR-100's superclasses (Krizhevsky 2009).

#include <gear/dataset.h>

#include <string>
#include <vector>

namespace gear::plugins::datasets {

/// CIFAR-10's 10 class names, in label order (as in batches.meta.txt).
const std::vector<std::string>& cifar10_class_names();
/// CIFAR-100's 100 fine class names, in label order (as in fine_label_names.txt).
const std::vector<std::string>& cifar100_fine_names();
/// CIFAR-100's 20 superclasses, in coarse label order, each with its 5 fine classes.
const std::vector<ClassGroup>& cifar100_superclasses();

}  // namespace gear::plugins::datasets
