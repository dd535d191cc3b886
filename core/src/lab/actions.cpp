// Doing things for the learner: setup actions, solutions, and reset.
#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {

namespace {

constexpr double kCommandTimeout = 120;

std::string output_of(const CommandResult& r) {
  std::string text = detail::trim(r.err.empty() ? r.out : r.err);
  if (text.size() > 400) text = "..." + text.substr(text.size() - 400);
  return text.empty() ? "no output" : text;
}

}  // namespace

std::vector<CommandLog> run_commands(Engine& engine, const Lab& lab, const std::string& what,
                                     const std::vector<std::string>& commands, const Workspace& ws,
                                     const std::function<void(const CommandLog&)>& on_done) {
  ws.ensure();
  std::vector<CommandLog> logs;
  for (const auto& command : commands) {
    CommandLog log;
    log.command = engine.render(command, ws, false);
    log.result = with_context("lab " + lab.number + " " + what + ": `" + log.command + "`",
                              [&] { return engine.run_shell(command, ws, kCommandTimeout); });
    if (on_done) on_done(log);
    logs.push_back(log);
    if (log.result.timed_out)
      throw Error("lab " + lab.number + " " + what + ": `" + log.command + "` did not finish in " +
                  std::to_string(static_cast<int>(kCommandTimeout)) + " s");
    if (log.result.status != 0)
      throw Error("lab " + lab.number + " " + what + ": `" + log.command + "` failed (exit " +
                  std::to_string(log.result.status) + "): " + output_of(log.result));
  }
  return logs;
}

std::vector<CommandLog> open_step(Engine& engine, const Lab& lab, std::size_t step,
                                  const Workspace& ws, const std::filesystem::path& progress_file) {
  ws.ensure();
  if (Progress::load(progress_file).lab(lab.id).step(lab, step).setup_done) return {};
  // The setup runs outside the progress lock: it may take seconds, and live checks update on.
  auto logs = run_commands(engine, lab, "step " + std::to_string(step + 1) + " setup",
                           lab.steps.at(step).setup, ws);
  Progress::update(progress_file,
                   [&](Progress& p) { p.lab(lab.id).step(lab, step).setup_done = true; });
  return logs;
}

std::vector<std::string> reset_lab(Engine& engine, const Lab& lab, const Workspace& ws,
                                   const std::filesystem::path& progress_file) {
  std::vector<std::string> removed, problems;
  // The lab's containers; one that went meanwhile (a controller the lab started removed it) is
  // no problem.
  auto sweep = [&] {
    for (const auto& name : engine.probe().container_names()) {
      if (name.rfind(lab.container_prefix(), 0) != 0) continue;
      try {
        engine.probe().remove_container(name);
        removed.push_back(name);
      } catch (const std::exception& e) {
        auto now = engine.probe().container_names();
        if (std::find(now.begin(), now.end(), name) != now.end()) problems.push_back(e.what());
      }
    }
  };
  sweep();
  // Cleanup runs before the workspace goes: it may read answers (e.g. ids of host objects).
  for (const auto& command : lab.cleanup) {
    try {
      CommandResult r = engine.run_shell(command, ws, 60);
      if (r.timed_out || r.status != 0)
        problems.push_back("`" + engine.render(command, ws, false) + "` failed: " + output_of(r));
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  sweep();  // what a controller made again before the cleanup stopped it
  try {
    {
      sys::ActAs as = detail::as_state_owner();  // the learner's folder: with their rights
      if (std::filesystem::exists(ws.dir)) remove_tree(ws.dir);
    }
    if (!ws.work_dir.empty() && std::filesystem::exists(ws.work_dir))
      remove_tree(ws.work_dir.parent_path());
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  try {
    Progress::update(progress_file, [&](Progress& p) { p.reset(lab.id); });
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw Error("reset lab " + lab.number + ": " + text);
  }
  return removed;
}

}  // namespace boxlab::lab
