#pragma once

/// @file
/// Everything a plugin author needs: include this one header.

#include "gear/architecture.h"
#include "gear/augmentation.h"
#include "gear/budget_fit.h"
#include "gear/component_kind.h"
#include "gear/config.h"
#include "gear/dataset.h"
#include "gear/device_profile.h"
#include "gear/errors.h"
#include "gear/evaluator.h"
#include "gear/group_snapshot.h"
#include "gear/growable_net.h"
#include "gear/growth_strategy.h"
#include "gear/image_transforms.h"
#include "gear/log.h"
#include "gear/objective.h"
#include "gear/offload_policy.h"
#include "gear/options.h"
#include "gear/plugin.h"
#include "gear/power_meter.h"
#include "gear/pruner.h"
#include "gear/registrar.h"
#include "gear/requires_grad_scope.h"
