// Challenge mode: a step shown as its goal and its checks, without the README's commands. What
// the learner gets: the step's title, each visible check's title with its own hint (hints of
// checks are nudges: tests/unit/lab_model.cpp keeps commands out of them), where an answer
// goes, and the learner's values with what each is. The commands are in the step's hints,
// one `boxlab lab hint` at a time.
#include <sstream>

#include "lab_internal.hpp"

namespace boxlab::lab {

std::string render_challenge(const Lab& lab, std::size_t index, const Workspace& ws,
                             Engine& engine) {
  const Step& step = lab.steps.at(index);
  std::ostringstream out;
  out << "## Step " << index + 1 << " of " << lab.steps.size() << ": " << step.title
      << " (challenge)\n\n"
      << "Goal: "
      << (step.goal.empty() ? std::string("make the checks below pass.")
                            : engine.render(step.goal, ws, false))
      << "\n\nThe checks (`boxlab lab check " << lab.number << "`):\n";
  for (const auto& c : step.checks) {
    if (c.visibility == Visibility::hidden || !check_applies(c, engine.probe())) continue;
    out << "  - " << c.title << (c.precondition ? " (from earlier steps)" : "") << "\n";
    if (c.kind == "answer" && c.spec.contains("answer"))
      out << "      answer: write it into "
          << (ws.answers() / c.spec["answer"].get<std::string>()).string() << "\n";
    if (!c.hint.empty()) out << "      nudge: " << engine.render(c.hint, ws, false) << "\n";
  }
  if (!lab.values.empty()) {
    out << "\nYour values (yours alone; the checks use them):\n";
    for (const auto& [name, spec] : lab.values.items()) {
      out << "  " << name << " = " << ws.value(name);
      if (spec.contains("about")) out << "   " << spec["about"].get<std::string>();
      out << "\n";
    }
  }
  out << "\nYour answers folder: " << ws.answers().string() << "\n"
      << "No commands here: `boxlab lab hint " << lab.number << " " << index + 1 << "` gives the "
      << step.hints.size() << " hints of this step one at a time, the last one with the commands;"
      << " `boxlab lab show " << lab.number << " --step " << index + 1
      << "` shows the guided instructions.\n";
  return out.str();
}

}  // namespace boxlab::lab
