// Private to src/grade: the pieces grader.cpp puts together.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/grade.hpp"
#include "boxlab/lab.hpp"

namespace boxlab::grade {

// "256M", "1k", "1048576" -> bytes; `where` names the field in errors.
// A CSV cell: quoted, a leading = + - @ defused (report.cpp).
std::string csv_cell(const std::string& s);

std::uint64_t parse_size(const std::string& text, const std::string& where);
// The container name a check's "process": TARGET becomes (the grading probe's key).
std::string target_container(const std::string& number, const std::string& target);

// A command run with a wall-clock limit and a cap on its output (stdout and stderr together).
struct Outcome {
  int status = -1;     // exit code, 128+signal
  std::string output;  // the first `cap` bytes
  bool timed_out = false;
  bool output_exceeded = false;
};
// Runs argv in a process group of its own, stdin /dev/null; on timeout or too much output the
// whole group is killed. `env` is added to ours.
Outcome run_limited(const std::vector<std::string>& argv, double timeout, std::uint64_t cap,
                    const std::vector<std::string>& env = {});

// The grading probe: checks' containers are the exercise's targets (processes in the grading
// container), every command runs inside the grading container, in /sub.
struct ProbeSetup {
  std::filesystem::path boxlab_bin;
  std::optional<std::filesystem::path> root;
  std::string container;  // the grading container
  std::string number;     // the exercise's number (target_container)
  std::vector<Target> targets;
  std::uint64_t output_cap = 1 << 20;
};
class GradeProbe : public lab::Probe {
 public:
  virtual bool take_output_exceeded() = 0;  // whether a command since the last call overflowed
  // pid of the target's process now, 0 when there is none.
  virtual pid_t find_target(const Target& t) = 0;
  // Whether something other than the grading container's own main process still runs there.
  virtual bool submission_running() = 0;
};
std::unique_ptr<GradeProbe> make_grade_probe(const ProbeSetup& setup);

// The cgroup stats of process PID (cgroup::to_json's shape) for the controllers the grading
// container's cgroup GRADING (cgroup::Cgroup::to_json()) has, read only where PID's cgroup is
// that one or below it; each of memory, pids and cpu also carries "own": whether PID's cgroup is
// strictly below the grading container's (target_cgroup.cpp). Throws when PID is gone.
nlohmann::json target_cgroup_stats(pid_t pid, const nlohmann::json& grading);

// sha256 over DIR's exercise.json, checks/checks.json and hidden/checks.json (when there): the
// exercise's manifest hash, computed again after each submission to show nothing changed them.
std::string manifest_hash(const std::filesystem::path& dir);

// Where a grading container's mount table (its /proc/PID/mountinfo) shows a mount that the
// submission stacked over what the grader gave it: the toolchain the exec checks run (each of
// /usr/bin, /usr/lib, ... is one bind, with nothing over or below it), /sub (one bind), and
// their parents (/ once, /usr never). Empty: none (tamper.cpp).
std::vector<std::string> mounts_over_grader(const std::string& mountinfo);
// The host's toolchain directories the grading containers get read-only (those that exist).
const std::vector<std::string>& toolchain_dirs();

// `boxlab [--root R]` as argv.
std::vector<std::string> boxlab_argv(const std::filesystem::path& bin,
                                     const std::optional<std::filesystem::path>& root);

}  // namespace boxlab::grade
