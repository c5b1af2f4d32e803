#include <gear/plugin.h>

#include "learned_policy.h"
#include "random_policy.h"
#include "uncertainty_policies.h"

GEAR_PLUGIN("gear-offloading", "0.1.0",
            "Edge-to-cloud offload policies: uncertainty, scene change, random and learned") {
  using namespace gear::plugins::offloading;
  r.add<gear::OffloadPolicy, ConfidencePolicy>(
      "confidence", "offloads the frames of lowest top-1 probability (score 1 - max_probability)");
  r.add<gear::OffloadPolicy, MarginPolicy>(
      "margin", "offloads the frames whose top two classes are closest (score 1 - margin)");
  r.add<gear::OffloadPolicy, EntropyPolicy>(
      "entropy", "offloads the frames of flattest softmax (score the normalised entropy)");
  r.add<gear::OffloadPolicy, SceneChangePolicy>(
      "scene_change",
      "offloads the frames furthest from the last one sent, i.e. at scene cuts (score change)");
  r.add<gear::OffloadPolicy, RandomPolicy>(
      "random_offload", "baseline: offloads each frame with the budget's probability (seeded)");
  r.add<gear::OffloadPolicy, LearnedPolicy>(
      "learned",
      "logistic regression on the frame's features, trained on where the cloud net is right and "
      "the edge net wrong; its predicted probability is the score");
}
