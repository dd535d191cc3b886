// `boxlab lab export`: a learner's lab progress for the instructor (`boxlab grade labs`). Each
// step's checks run again at export, so the file says what holds now beside what progress.json
// remembers; a step `lab solve` did is marked as such, so it never counts as the learner's.
#include "boxlab/lab.hpp"

namespace boxlab::lab {

using nlohmann::json;

json export_lab(Engine& engine, const Lab& lab, const LabProgress& progress, const Workspace& ws) {
  json steps = json::array();
  int points = 0, max_points = 0;
  for (std::size_t i = 0; i < lab.steps.size(); ++i) {
    const Step& step = lab.steps[i];
    auto it = progress.steps.find(step.id);
    StepProgress sp = it == progress.steps.end() ? StepProgress{} : it->second;
    StepReport now = engine.check_step(lab, i, ws, sp.hints_shown);
    bool solved = sp.solved_by_solve || ws.solved(step.id);
    points += now.points();
    max_points += now.max_points();
    json failing = json::array();
    for (const auto& r : now.results)
      if (r.status != CheckStatus::pass) failing.push_back(r.id);
    steps.push_back({{"id", step.id},
                     {"title", step.title},
                     {"passed", sp.passed},
                     {"passed_at", sp.passed_at},
                     {"solved_by_solve", solved},
                     {"hints_shown", sp.hints_shown},
                     {"checks_run", sp.checks_run},
                     {"passes_at_export", now.passed()},
                     {"points", now.points()},
                     {"max_points", now.max_points()},
                     {"failing_at_export", failing}});
  }
  return {{"id", lab.id},   {"number", lab.number},       {"title", lab.title},
          {"steps", steps}, {"points_at_export", points}, {"max_points", max_points}};
}

}  // namespace boxlab::lab
