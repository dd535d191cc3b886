// Labs: the lab model (labs/NN-slug/lab.json + README.md), the check engine (one engine for
// labs now and the grader later), progress per user, reports (ansi, json, junit) and live mode.
// The lab.json format is documented in docs/labs.md.
//
// The engine never touches the system directly: it asks a Probe (containers, processes, files,
// commands). make_live_probe() is the real one; unit tests pass a fake.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/namespaces.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/sys/requester.hpp"

namespace boxlab::lab {

// ---------------------------------------------------------------------------------------------
// Model

enum class Visibility { visible, hidden };

struct Check {
  std::string id;
  std::string title;
  std::string kind;  // exec, file, namespace, pid1, proctree, container, answer, cgroup, fleet
  std::vector<std::string> needs;  // ids of earlier checks of the same step
  int points = 1;
  Visibility visibility = Visibility::visible;
  double timeout = 10;        // seconds, per attempt
  int retries = 0;            // extra attempts after a fail or timeout (0.25 s apart)
  std::string hint;           // what to do when this check fails
  bool precondition = false;  // may already pass before the step's solution
  // "v1" or "v2": the check is for hosts of that cgroup layout only ("" : every host). Two
  // checks of a step may share an id as variants for the two layouts (check_applies picks).
  std::string cgroup_layout;
  nlohmann::json spec;  // the check object as written (kind fields validated on load)
  std::string where;    // "/steps/1/checks/0", for messages
};

struct Step {
  std::string id;
  std::string title;
  // Challenge mode: what the step asks for, without commands (Markdown, placeholders allowed).
  std::string goal;
  std::string instructions;        // Markdown: lab.json "instructions" or README "## Step N"
  std::vector<std::string> setup;  // shell commands run once when the step opens
  std::vector<Check> checks;
  std::vector<std::string> hints;     // from a nudge to nearly the answer
  std::vector<std::string> solution;  // shell commands that complete the step
  // Per solution command: "" when the step's checks need it, else why not (it only shows what
  // the step is about). lab.json: {"command": "...", "shows": "why"} in place of the string.
  std::vector<std::string> solution_shows;
};

struct Lab {
  std::string id;      // "02-pid-namespace" (the directory name)
  std::string number;  // "02"
  std::string slug;    // "pid-namespace"
  std::string title;
  std::string summary;
  std::string intro;  // README.md text before the first "## Step" heading
  int minutes = 0;
  std::vector<std::string> requirements;  // "root", "userns", "simulator", "base-image"
  std::vector<std::string> cleanup;       // shell commands `lab reset` runs (host-side leftovers)
  // Per-learner values ({value:NAME}), as written: {"NAME": {"int": [MIN, MAX]} | {"hex": BYTES}
  // | {"pick": ["a", ...]}}, drawn once per learner (Workspace::values); each may say what it
  // is, "about": "seconds lab01-box sleeps" (challenge mode lists the values with it).
  nlohmann::json values = nlohmann::json::object();
  std::vector<Step> steps;
  std::filesystem::path dir;

  // Every container a lab uses is named with this prefix, so `lab reset` can find them.
  std::string container_prefix() const { return "lab" + number + "-"; }
  // "2" (1-based number) or a step id; nullopt when there is no such step.
  std::optional<std::size_t> step_index(std::string_view ref) const;
};

// Loads and validates DIR/lab.json (+ DIR/README.md). Errors name the file, the JSON pointer
// and the field: "labs/02-pid-namespace/lab.json: /steps/1/checks/0/kind: unknown check kind
// 'pidd'".
Lab load_lab(const std::filesystem::path& dir);
// The same from text (tests); `file` is the name used in errors.
Lab parse_lab(std::string_view json_text, std::string_view readme, const std::filesystem::path& dir,
              const std::string& file);

// NN-* directories below labs_dir, sorted; for an installed labs_dir (PREFIX/share/boxlab/labs)
// also those of the instructor's folder beside it (instructor_labs_dir), after the course's.
std::vector<std::filesystem::path> lab_dirs(const std::filesystem::path& labs_dir);
// The instructor's own labs of an installed labs_dir: PREFIX/etc/boxlab/labs (/etc/boxlab/labs
// for PREFIX /usr), made empty by `./kit install`; nullopt for a labs_dir that is not installed.
std::optional<std::filesystem::path> instructor_labs_dir(const std::filesystem::path& labs_dir);
// "02", "2", "pid-namespace" or "02-pid-namespace" -> that lab's directory. Throws naming the
// labs that exist.
std::filesystem::path find_lab_dir(const std::filesystem::path& labs_dir, std::string_view ref);
// BOXLAB_LABS_DIR, else EXE_DIR/../share/boxlab/labs, else the nearest labs/ with NN-* dirs
// found walking up from the executable's directory. Throws when none is found.
std::filesystem::path find_labs_dir(const std::filesystem::path& executable);

// Known check kinds, in documentation order.
const std::vector<std::string>& check_kinds();

// ---------------------------------------------------------------------------------------------
// What the engine reads from the world

struct CommandResult {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct ContainerInfo {
  std::string name;
  bool running = false;
  pid_t pid = 0;  // host pid of the container's first process (kept after it stops)
  std::optional<int> exit_code;
  std::map<std::string, std::uint64_t> namespaces;  // OCI kind name -> inode
  NsSet new_namespaces;
  std::string hostname;  // as configured (a learner may change it inside)
  std::string image;
  bool read_only = false;
  std::filesystem::path rootfs;
};

struct ProcessInfo {
  pid_t pid = 0;      // host pid
  pid_t ppid = 0;     // host pid of the parent
  pid_t ns_pid = 0;   // pid inside the container's pid namespace (last NSpid field)
  pid_t ns_ppid = 0;  // the parent's pid inside, 0 when the parent is outside the container
  char state = '?';   // R, S, Z, ...
  uid_t uid = 0;      // real uid on the host
  std::string comm;
  std::string cmdline;  // arguments joined by spaces; empty for zombies
};

struct FileInfo {
  bool exists = false;
  bool is_dir = false;
  unsigned mode = 0;  // permission bits (07777)
  uid_t uid = 0;      // host view
  gid_t gid = 0;
  std::string content;  // regular files, first 1 MiB
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual bool is_root() = 0;
  virtual bool userns_available() = 0;

  virtual std::vector<std::string> container_names() = 0;
  virtual std::optional<ContainerInfo> container(const std::string& name) = 0;
  virtual void remove_container(const std::string& name) = 0;  // like `boxlab rm -f`

  virtual std::map<std::string, std::uint64_t> host_namespaces() = 0;
  // The container's processes: its pid namespace; without one its mount namespace; without
  // that, the processes chrooted into its rootfs.
  virtual std::vector<ProcessInfo> processes(const ContainerInfo& c) = 0;
  virtual std::optional<ProcessInfo> host_process(pid_t pid) = 0;

  // A file on the host (c == nullptr) or inside a running container (resolved in its root).
  virtual FileInfo file(const ContainerInfo* c, const std::string& path) = 0;

  // Runs argv on the host (container empty) or inside it (`boxlab exec`), killed after
  // timeout seconds. Host commands see BOXLAB_BIN and BOXLAB_ROOT.
  virtual CommandResult run(const std::vector<std::string>& argv, const std::string& container,
                            double timeout) = 0;

  // The cgroup check hook: the container's cgroup stats in the shape of cgroup::to_json(Stats)
  // ({"memory":{"current":..,"max":..,"oom_kill":..},"pids":{..},"cpu":{..}}), or nullopt
  // when this probe has no cgroups (checks then report "needs the cgroups feature"). The live
  // probe reads them with Container::stats().
  virtual std::optional<nlohmann::json> cgroup_stats(const ContainerInfo&) { return std::nullopt; }

  // Whether the image store has this image (the "base-image" requirement).
  virtual bool has_image(const std::string&) { return true; }

  // Why this probe cannot check `lab` at all ("" : it can). The simulator's probe models what
  // some labs need, not every lab's (docs/simulator.md).
  virtual std::string cannot_check(const Lab&) { return ""; }

  // 1 when the host has this controller ("memory", "pids", "cpu") on a cgroup v1 hierarchy
  // (v1 and hybrid hosts), else 2: check texts name the files of that version.
  virtual int cgroup_version(const std::string& controller);
};

// Whether a check runs on PROBE's host: true without "cgroup_layout"; "v1" wants the check's
// controller (a cgroup check's metric's, else memory) on a v1 hierarchy (v1 and hybrid hosts),
// "v2" on the unified one (Probe::cgroup_version). Checks that do not apply are left out of a
// step's results (not failed, not counted).
bool check_applies(const Check& check, Probe& probe);

// The file (and line) a cgroup metric ("memory.max") is read from on this host's cgroup version:
// "memory.max" on v2, "memory.limit_in_bytes" on v1; "memory.events' oom_kill" or
// "memory.oom_control's oom_kill". The placeholder {cgroup:METRIC} in lab texts renders it.
std::string cgroup_file(Probe& probe, const std::string& metric);

struct LiveProbeOptions {
  std::optional<std::filesystem::path> root;  // --root, passed on to every boxlab it runs
  std::filesystem::path boxlab_bin;           // the boxlab binary (for exec and solutions)
};
std::unique_ptr<Probe> make_live_probe(const LiveProbeOptions& options);

// The probe over the simulated machine of `boxlab --sim` (ROOT/state/sim): containers,
// processes, namespaces and cgroups are the simulator's; commands in a container run through
// `boxlab --sim exec`; host commands are real, with `boxlab`, `pgrep` and `dmesg` the
// simulator's. The simulated machine's "root" meets the root requirement.
std::unique_ptr<Probe> make_sim_probe(const LiveProbeOptions& options);
// One paragraph for reports run on the simulator: what is simulated and what is real.
extern const char* const kSimulatedParts;

// ---------------------------------------------------------------------------------------------
// Per-user state: progress.json, answers and work files

// BOXLAB_STATE_HOME, else $XDG_STATE_HOME/boxlab, else ~/.local/state/boxlab; for a root engine
// working for a learner (keep_state_for), that learner's ~/.local/state/boxlab.
std::filesystem::path state_home();
// Whose lab state this process keeps: by default its own user's. A root engine working for a
// learner (serve under pkexec or sudo) keeps the learner's, in their home, read and written with
// their rights (sys::ActAs: nothing they plant there can lead root elsewhere), while the work
// folders that root's setup commands fill stay root's own, in PATHS.state/lab-work/UID.
void keep_state_for(const sys::Requester& learner, const Paths& paths);
// STATE/progress.json: the one progress file of the CLI and serve.
std::filesystem::path progress_file();

// One lab's files under STATE/labs/ID: answers/ (the learner writes observed values there)
// and work/ (files setup actions make).
struct Workspace {
  std::filesystem::path dir;
  std::filesystem::path labs_dir;  // {labs}: the labs folder (shared lab assets, labs/common)
  nlohmann::json value_specs = nlohmann::json::object();  // Lab::values
  std::filesystem::path work_dir;  // set: where work/ is instead of DIR/work (keep_state_for)
  std::filesystem::path answers() const { return dir / "answers"; }
  std::filesystem::path work() const { return work_dir.empty() ? dir / "work" : work_dir; }
  static Workspace for_lab(const std::filesystem::path& state, const Lab& lab);
  void ensure() const;  // creates the directories
  // This learner's values (DIR/values.json), drawn from value_specs the first time they are
  // asked for and the same ever after (until `lab reset`). Throws naming an unknown NAME.
  std::string value(const std::string& name) const;
  // Steps `lab solve` ran for this learner (DIR/solved, one step id a line): their reports say
  // "solved by solve", whatever the checks say.
  void mark_solved(const std::string& step_id) const;
  bool solved(const std::string& step_id) const;
};

struct StepProgress {
  bool passed = false;
  bool solved_by_solve = false;  // `lab solve` ran this step's solution ("solvedBy": "solve")
  std::string passed_at;         // RFC 3339
  int hints_shown = 0;
  bool setup_done = false;
  int checks_run = 0;
};

struct LabProgress {
  std::map<std::string, StepProgress> steps;  // by step id
  // First step not passed (steps.size()-1 when all passed).
  std::size_t current_step(const Lab& lab) const;
  std::size_t passed_count(const Lab& lab) const;
  StepProgress& step(const Lab& lab, std::size_t index) { return steps[lab.steps[index].id]; }
};

struct StepReport;

class Progress {
 public:
  // A missing file is empty progress; a corrupt one is an Error naming it. A snapshot for
  // reading: saves are atomic, so it is always whole, but changes go through update().
  static Progress load(const std::filesystem::path& file);
  // Loads, applies `change` and saves, all under an flock on the lock file beside `file`
  // (progress.lock), so that concurrent updates from `boxlab lab`, serve's live checks and
  // other threads all land instead of the last writer's winning. Returns the saved progress.
  // `change` only edits progress: anything slow (checks, setup) runs before, outside the lock.
  static Progress update(const std::filesystem::path& file,
                         const std::function<void(Progress&)>& change);
  LabProgress& lab(const std::string& id) { return labs_[id]; }
  // Counts a check run of the report's step; a passing step is marked passed (with the time).
  void record(const StepReport& report);
  void reset(const std::string& id) { labs_.erase(id); }
  nlohmann::json to_json() const;

 private:
  void save() const;  // atomically; only update() saves
  std::filesystem::path file_;
  std::map<std::string, LabProgress> labs_;
};

// ---------------------------------------------------------------------------------------------
// Engine

enum class CheckStatus { pass, fail, error, blocked, timeout };
std::string_view status_name(CheckStatus s);

struct CheckResult {
  std::string id;
  std::string title;
  std::string kind;
  CheckStatus status = CheckStatus::error;
  std::string expected;
  std::string observed;
  std::string hint;  // the next thing to do (empty on pass)
  int points = 0;
  int max_points = 0;
  bool hidden = false;
  bool precondition = false;
  int attempts = 0;
  std::chrono::milliseconds duration{0};
  bool operator==(const CheckResult&) const = default;
};

struct StepReport {
  std::string lab_id;
  std::string lab_number;
  std::size_t step = 0;  // 0-based
  std::string step_id;
  std::string step_title;
  std::size_t step_count = 0;
  int hints_total = 0;
  int hints_shown = 0;
  bool solved_by_solve = false;  // `lab solve` did this step, not the learner
  std::string unmet;  // the lab's requirements this system does not meet (then every result
                      // is an error saying so), "" when they are met
  std::vector<CheckResult> results;
  bool passed() const;
  int points() const;
  int max_points() const;
};

class Engine {
 public:
  struct Options {
    bool include_hidden = true;
    std::chrono::milliseconds retry_delay{250};
    // false: one attempt per check, whatever its retries (live mode: the next round retries).
    bool retry = true;
  };
  explicit Engine(Probe& probe) : Engine(probe, Options{}) {}
  Engine(Probe& probe, Options options);

  Probe& probe() { return probe_; }

  // Runs every check of the step in order (needs -> blocked, retries, timeouts). hints_shown
  // picks the step hint offered when a failing check has no hint of its own.
  StepReport check_step(const Lab& lab, std::size_t step, const Workspace& ws, int hints_shown = 0);

  // Replaces {answers}, {work}, {labs}, {value:NAME}, {cgroup:METRIC} (cgroup_file), {pid:NAME},
  // {rootfs:NAME} and {answer:NAME}. With live=false only the paths, values and cgroup files are
  // replaced (text shown to a learner).
  std::string render(const std::string& text, const Workspace& ws, bool live = true);

  // Every {value:NAME} in the strings of a JSON value (a check as written) replaced.
  static nlohmann::json render_values(const nlohmann::json& spec, const Workspace& ws);

  // One shell command on the host (placeholders rendered, `boxlab` = this boxlab).
  CommandResult run_shell(const std::string& command, const Workspace& ws, double timeout);

 private:
  CheckResult run_check(const Lab& lab, const Step& step, const Check& check, const Workspace& ws,
                        const std::map<std::string, CheckStatus>& done);
  Probe& probe_;
  Options options_;
};

// Setup, solutions and reset.
struct CommandLog {
  std::string command;  // as written in lab.json (placeholders rendered)
  CommandResult result;
};
// Runs the commands in order and stops at the first that fails: throws an Error naming the lab,
// the step and the command, with its output. `on_done` sees each command as it finishes.
std::vector<CommandLog> run_commands(Engine& engine, const Lab& lab, const std::string& what,
                                     const std::vector<std::string>& commands, const Workspace& ws,
                                     const std::function<void(const CommandLog&)>& on_done = {});
// Removes the lab's containers (by prefix), runs its cleanup commands, deletes its workspace and
// forgets its progress in `progress_file` (also when a part of it fails). Returns the
// containers removed.
std::vector<std::string> reset_lab(Engine& engine, const Lab& lab, const Workspace& ws,
                                   const std::filesystem::path& progress_file);
// Opens a step: runs its setup commands unless `progress_file` says they ran, then records
// that they did. Returns the commands run.
std::vector<CommandLog> open_step(Engine& engine, const Lab& lab, std::size_t step,
                                  const Workspace& ws, const std::filesystem::path& progress_file);
// One lab of `boxlab lab export` (export.cpp): each step's progress (passed, when, hints,
// whether `lab solve` did it) and its checks run again now (passes_at_export, points).
nlohmann::json export_lab(Engine& engine, const Lab& lab, const LabProgress& progress,
                          const Workspace& ws);
// "" when the probe's system meets the lab's requirements, else what is missing.
std::string unmet_requirements(Probe& probe, const Lab& lab);

// ---------------------------------------------------------------------------------------------
// Reports

enum class Format { ansi, json, junit };
Format parse_format(std::string_view name);  // throws naming the accepted values

struct RenderOptions {
  bool color = true;
  bool reveal_hidden = false;  // graders and instructors: show hidden checks' details
};
// For a learner: per check a mark, what is missing and how to get there; then what next.
std::string render_ansi(const std::vector<StepReport>& reports, const RenderOptions& options);
nlohmann::json to_json(const std::vector<StepReport>& reports, const RenderOptions& options);
std::string render_junit(const std::vector<StepReport>& reports, const RenderOptions& options);

// Challenge mode (issue 17): a step as its goal (the title) and the checks that prove it, with
// each check's own hint (a nudge, never a command), the answer files it reads and the learner's
// values; the commands come only from the step's hints (`boxlab lab hint`).
std::string render_challenge(const Lab& lab, std::size_t step, const Workspace& ws, Engine& engine);

// ---------------------------------------------------------------------------------------------
// Live mode (`boxlab serve`): the open step's checks re-run about once a second, and only the
// results that changed are sent as check.result events (docs/events.md).

// What changed between one run of a step's checks and the next.
class LiveResults {
 public:
  // The results of `now` that differ from the previous report (all of them the first time, and
  // after reset() or a report of another step).
  std::vector<CheckResult> update(StepReport now);
  void reset();
  const StepReport& last() const { return last_; }

 private:
  StepReport last_;
  bool fresh_ = true;
};

class LiveSession {
 public:
  LiveSession(Engine& engine, Lab lab, std::size_t step, Workspace ws);
  // Re-runs the step's checks; returns the results that differ from the previous poll
  // (every result on the first poll, and after open()).
  std::vector<CheckResult> poll();
  void open(std::size_t step);  // switch to another step
  void set_hints_shown(int n) { hints_shown_ = n; }
  std::size_t step() const { return step_; }
  const StepReport& last() const { return results_.last(); }

 private:
  Engine* engine_;
  Lab lab_;
  std::size_t step_;
  Workspace ws_;
  LiveResults results_;
  int hints_shown_ = 0;
};

// The bodies of the live events (docs/events.md):
// check.result {lab, step (id), stepIndex (1-based), check, title, kind, status, expected,
// observed, hint, points, maxPoints}; a hidden check shows as check "hidden" with no details.
nlohmann::json check_result_body(const StepReport& report, const CheckResult& result);
// lab.step {lab, step, stepIndex, passed, points, maxPoints}.
nlohmann::json step_result_body(const StepReport& report);
// The check.result event line (events::make) at t_ns.
nlohmann::json check_event(const StepReport& report, const CheckResult& result, std::int64_t t_ns);

}  // namespace boxlab::lab
