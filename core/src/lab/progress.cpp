#include <fcntl.h>
// Per-user lab state: STATE/progress.json (changed under an flock on STATE/progress.lock) and
// STATE/labs/ID/{answers,work}.
//   {"version":1,"labs":{"02-pid-namespace":{"steps":{"pid1":{"passed":true,
//     "passedAt":"2024-..","hintsShown":1,"setupDone":true,"checksRun":3,
//     "solvedBy":"solve"}}}}}   (solvedBy only when `lab solve` did the step)
#include <cstdlib>
#include <ctime>
#include <optional>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/sys/file_lock.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

// keep_state_for's: whose state, and where root's work folders go. Set once, at serve's start.
struct StateOwner {
  sys::Requester learner;
  fsys::path work_root;
};
std::optional<StateOwner>& state_owner() {
  static std::optional<StateOwner> owner;
  return owner;
}

}  // namespace

void keep_state_for(const sys::Requester& learner, const Paths& paths) {
  // An explicit BOXLAB_STATE_HOME is root's own choice (pkexec clears the environment, sudo
  // keeps it only when told to): that state is used as is.
  if (const char* s = std::getenv("BOXLAB_STATE_HOME"); s && *s) return;
  if (learner.delegated())
    state_owner() = StateOwner{learner, paths.state / "lab-work" / std::to_string(learner.uid)};
}

sys::ActAs detail::as_state_owner() {
  return sys::ActAs(state_owner() ? state_owner()->learner : sys::Requester{});
}

std::string detail::read_learner_file(const fsys::path& file, const std::string& if_missing) {
  constexpr std::size_t kMax = 1 << 20;
  sys::ActAs as = as_state_owner();
  Fd fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) throw NotYet(if_missing);
    throw Error::system("open " + file.string());
  }
  return read_regular_file(fd.get(), file.string(), kMax);
}

fsys::path state_home() {
  if (const char* s = std::getenv("BOXLAB_STATE_HOME"); s && *s) return fsys::path(s);
  if (const auto& owner = state_owner()) {
    // Not root's HOME or XDG variables (pkexec's and sudo's): the learner's own home.
    if (owner->learner.home.empty() || owner->learner.home.is_relative())
      throw Error("cannot find the lab state of " + owner->learner.name + ": no home directory");
    return owner->learner.home / ".local" / "state" / "boxlab";
  }
  if (const char* s = std::getenv("XDG_STATE_HOME"); s && *s && s[0] == '/')
    return fsys::path(s) / "boxlab";
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw Error("cannot find your state directory: set HOME or XDG_STATE_HOME");
  return fsys::path(home) / ".local" / "state" / "boxlab";
}

fsys::path progress_file() {
  return state_home() / "progress.json";
}

Workspace Workspace::for_lab(const fsys::path& state, const Lab& lab) {
  Workspace ws{state / "labs" / lab.id};
  if (const auto& owner = state_owner()) ws.work_dir = owner->work_root / lab.id / "work";
  ws.labs_dir = lab.dir.parent_path();
  ws.value_specs = lab.values;
  return ws;
}

void Workspace::ensure() const {
  {
    sys::ActAs as = detail::as_state_owner();
    make_dirs(answers(), 0755);
  }
  make_dirs(work(), work_dir.empty() ? 0755 : 0700);  // root's setup commands write there
}

std::size_t LabProgress::current_step(const Lab& lab) const {
  for (std::size_t i = 0; i < lab.steps.size(); ++i) {
    auto it = steps.find(lab.steps[i].id);
    if (it == steps.end() || !it->second.passed) return i;
  }
  return lab.steps.empty() ? 0 : lab.steps.size() - 1;
}

std::size_t LabProgress::passed_count(const Lab& lab) const {
  std::size_t n = 0;
  for (const auto& s : lab.steps) {
    auto it = steps.find(s.id);
    n += it != steps.end() && it->second.passed;
  }
  return n;
}

Progress Progress::load(const fsys::path& file) {
  sys::ActAs as = detail::as_state_owner();
  Progress p;
  p.file_ = file;
  if (!fsys::exists(file)) return p;
  return with_context("read lab progress " + file.string(), [&] {
    json j;
    try {
      j = json::parse(read_file(file));
      for (const auto& [id, lab] : j.at("labs").items()) {
        LabProgress& lp = p.labs_[id];
        for (const auto& [step, s] : lab.at("steps").items()) {
          StepProgress sp;
          sp.passed = s.value("passed", false);
          sp.passed_at = s.value("passedAt", "");
          sp.solved_by_solve = s.value("solvedBy", "") == "solve";
          sp.hints_shown = s.value("hintsShown", 0);
          sp.setup_done = s.value("setupDone", false);
          sp.checks_run = s.value("checksRun", 0);
          lp.steps[step] = sp;
        }
      }
    } catch (const json::exception& e) {
      throw Error(std::string("it is damaged (") + e.what() + "); delete it to start over");
    }
    return p;
  });
}

json Progress::to_json() const {
  json labs = json::object();
  for (const auto& [id, lab] : labs_) {
    json steps = json::object();
    for (const auto& [step, s] : lab.steps) {
      steps[step] = {{"passed", s.passed},
                     {"passedAt", s.passed_at},
                     {"hintsShown", s.hints_shown},
                     {"setupDone", s.setup_done},
                     {"checksRun", s.checks_run}};
      if (s.solved_by_solve) steps[step]["solvedBy"] = "solve";
    }
    labs[id] = {{"steps", steps}};
  }
  return {{"version", 1}, {"labs", labs}};
}

void Progress::record(const StepReport& report) {
  StepProgress& sp = labs_[report.lab_id].steps[report.step_id];
  ++sp.checks_run;
  sp.solved_by_solve = sp.solved_by_solve || report.solved_by_solve;
  if (!report.passed() || sp.passed) return;
  sp.passed = true;
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  sp.passed_at = buf;
}

Progress Progress::update(const fsys::path& file, const std::function<void(Progress&)>& change) {
  sys::ActAs as = detail::as_state_owner();
  make_dirs(file.parent_path(), 0755);
  sys::FileLock lock(fsys::path(file).replace_extension(".lock"));
  Progress p = load(file);
  change(p);
  p.save();
  return p;
}

void Progress::save() const {
  sys::ActAs as = detail::as_state_owner();
  with_context("save lab progress", [&] {
    make_dirs(file_.parent_path(), 0755);
    write_file_atomic(file_, to_json().dump(2) + "\n", 0644);
  });
}

}  // namespace boxlab::lab
