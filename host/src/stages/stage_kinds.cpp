// The table of stage kinds. A new kind is one file in this folder (<name>_stage.cpp, built by
// the glob in host/CMakeLists.txt) defining its StageKind and a function returning it, plus two
// lines here: the function's declaration and its entry in the table.
#include <stdexcept>

#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"

namespace gear::host {

const StageKind& train_stage_kind();
const StageKind& grow_stage_kind();
const StageKind& evaluate_stage_kind();
const StageKind& prune_stage_kind();
const StageKind& search_stage_kind();
const StageKind& offload_stage_kind();
const StageKind& split_stage_kind();

const std::vector<const StageKind*>& stage_kinds() {
  static const std::vector<const StageKind*> kinds = {
      &train_stage_kind(),  &grow_stage_kind(),    &evaluate_stage_kind(), &prune_stage_kind(),
      &search_stage_kind(), &offload_stage_kind(), &split_stage_kind(),
  };
  return kinds;
}

std::vector<std::string> stage_kind_names() {
  std::vector<std::string> names;
  for (const StageKind* kind : stage_kinds()) names.push_back(kind->name());
  return names;
}

const StageKind* find_stage_kind(const std::string& name) {
  for (const StageKind* kind : stage_kinds())
    if (kind->name() == name) return kind;
  return nullptr;
}

const StageKind& stage_kind(const std::string& name) {
  if (const StageKind* kind = find_stage_kind(name)) return *kind;
  throw std::logic_error("no stage kind '" + name + "'");
}

OptionSchema common_stage_schema() {
  return OptionSchema()
      .add_required("kind", ValueType::kString, "stage kind")
      .one_of(stage_kind_names())
      .add_string("name", "", "label for logs and reports");
}

void StageKind::write_resolved(const StageSpec& stage, std::ostream& out) const {
  write_config(out, stage.options);
}

size_t StageKind::plan(const Pipeline& pipeline, size_t index,
                       std::vector<PlannedStage>& plan) const {
  plan.push_back({pipeline.stages[index], 0, 0, 0});
  return 1;
}

void StageKind::check(const StageSpec&, const Registry&) const {}

void StageKind::check_run(const StageSpec&, const RunContext&) const {}

}  // namespace gear::host
