#pragma once

/// @file
/// The host's name matching is the SDK's (gear/text_match.h), so that plugins suggest names the
/// same way.

#include "gear/text_match.h"

namespace gear::host {

using gear::did_you_mean;
using gear::edit_distance;
using gear::suggestion_text;

}  // namespace gear::host
