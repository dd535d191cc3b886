// The grader (issue 19): exercises (exercises/NN-slug), submissions built and run inside a
// boxlab container, checks from the lab engine observing the learner's `mybox` from outside,
// signed records and the reports made from them. docs/grading.md describes the formats.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/lab.hpp"

namespace boxlab::grade {

// ---------------------------------------------------------------------------------------------
// Exercises

// A process the checks look at, named in a check as "process": NAME (in place of a container):
// the first process in the grading container whose command line matches `match`.
struct Target {
  std::string name;
  std::string match;  // ECMAScript regex over the arguments joined by spaces
  std::string about;
};

struct Limits {
  double build_seconds = 60;
  double check_seconds = 10;  // per check attempt
  double start_seconds = 3;   // for the targets to appear after `run` starts
  std::string memory = "256M";
  int pids = 64;
  double cpus = 1;
  std::uint64_t output = 1 << 20;  // bytes of build output, and of each check command's
};

struct Exercise {
  std::string id;  // "01-process-and-chroot"
  std::string number;
  std::string title;
  std::string summary;
  int stage = 0;
  std::string lab;                 // the lab this exercise pairs with
  std::string build;               // shell command, run in the submission's directory
  std::vector<std::string> files;  // what a learner hands in (a student bundle's starter files)
  std::string run;                 // shell command that starts the box the checks look at
  std::vector<Target> targets;
  Limits limits;
  // Controllers ("memory", "pids") whose cgroup the grading container gets to manage: mybox
  // makes its own cgroups below it (`boxlab run --cgroup-delegate`). Empty: none.
  std::vector<std::string> cgroup_delegate;
  // Capabilities the grading container gets on top of the grader profile ("NET_ADMIN" only:
  // mybox makes a veth pair in the grading container's own network namespace).
  std::vector<std::string> cap_add;
  // What the grading host's kernel must allow mybox beyond namespaces ("overlay-in-userns": an
  // overlay mount in a user namespace, Linux 5.11 on). Where a probe shows the host refuses it,
  // the checks that did not pass are `blocked`, never failed.
  std::vector<std::string> host_needs;
  lab::Lab checks;            // one step per check: visible first, then hidden
  std::string manifest_hash;  // sha256 over exercise.json and both check files
  std::filesystem::path dir;
};

// Loads DIR/exercise.json, DIR/checks/checks.json and (when there) DIR/hidden/checks.json.
// Errors name the file and the JSON pointer.
Exercise load_exercise(const std::filesystem::path& dir);
// BOXLAB_EXERCISES_DIR, else the exercises/ beside the labs folder (lab::find_labs_dir).
std::filesystem::path find_exercises_dir(const std::filesystem::path& executable);
std::vector<std::filesystem::path> exercise_dirs(const std::filesystem::path& exercises_dir);
// "01", "1", "process-and-chroot" or "01-process-and-chroot" -> that exercise's directory.
std::filesystem::path find_exercise_dir(const std::filesystem::path& exercises_dir,
                                        std::string_view ref);
// What learners get: exercise.json, README.md, starter/ and checks/ (never hidden/ or
// solution/) copied to OUT (a new or empty directory). Returns the files written.
std::vector<std::filesystem::path> pack_student(const Exercise& ex,
                                                const std::filesystem::path& out);

// ---------------------------------------------------------------------------------------------
// Submissions

// A submission copied into `dest` (created): a directory's regular files and directories, or
// an archive's (anything libarchive reads). Throws a Error of kind invalid_input naming the
// entry for what it refuses: absolute paths, `..`, links pointing out of the submission,
// devices, more than max_bytes or max_files.
struct StageLimits {
  std::uint64_t max_bytes = 16 << 20;
  std::size_t max_files = 2000;
};
void stage_submission(const std::filesystem::path& source, const std::filesystem::path& dest,
                      const StageLimits& limits = {});
// sha256 over the sorted tree: "type path mode sha256(content)|target" lines.
std::string tree_hash(const std::filesystem::path& dir);
std::string sha256_hex(std::string_view data);
// The student's name of a submission path: its file name without archive extensions.
std::string student_name(const std::filesystem::path& submission);

// ---------------------------------------------------------------------------------------------
// Records (canonical JSON, signed) and reports

// Statuses of a check or a whole submission.
//   pass, fail, error, timeout, oom, pids-exhausted, output-limit, build-failed, blocked
struct CheckRecord {
  std::string id;
  std::string title;
  std::string kind;
  bool hidden = false;
  std::string status;
  int score = 0;
  int max_score = 0;
  std::string expected;
  std::string observed;
  std::string hint;
  double seconds = 0;
};

struct Record {
  std::string student;
  std::string exercise;
  std::string exercise_hash;
  std::string submission_hash;
  std::string boxlab_version;
  std::string graded_at;     // RFC 3339, UTC
  std::string status;        // the submission's: pass when every check passed, else the first cause
  std::string reason;        // what happened, in a sentence, when status is not pass or fail
  std::string build_status;  // pass, build-failed, timeout, output-limit, oom, error, skipped
  std::string build_output;  // the end of it, at most 8 KiB
  std::vector<CheckRecord> checks;
  int score() const;
  int max_score() const;
};

nlohmann::json to_json(const Record& r);  // without the signature
Record record_from_json(const nlohmann::json& j);

// HMAC-SHA256 over the canonical (sorted, compact) JSON of the record without "signature".
std::string sign(const nlohmann::json& record, const std::string& key);
nlohmann::json signed_record(const Record& r, const std::string& key);
// Whether the record's signature matches; throws on a record without one.
bool verify(const nlohmann::json& record, const std::string& key);
// The instructor's key: FILE's bytes; else BOXLAB_GRADE_KEY_FILE's; else STATE/grade.key, made
// (32 random bytes, mode 0600) on first use.
std::string load_key(const std::optional<std::filesystem::path>& file,
                     const std::filesystem::path& state_dir);

enum class Format { text, json, junit, gradescope, csv };
Format parse_format(std::string_view name);
// text: per student, each check's mark; for visible checks what was expected, what was seen
// and the next hint; hidden checks show only their status.
std::string render_text(const std::vector<Record>& records);
std::string render_junit(const std::vector<Record>& records);
// Gradescope's results.json for one submission (score, tests[] with name, score, max_score,
// status passed/failed, output, visibility).
nlohmann::json render_gradescope(const Record& record);
std::string render_csv(const std::vector<Record>& records);

// Gradescope's autograder zip at OUT: setup.sh, run_autograder, grade.key, this boxlab binary
// and exercise/ (everything but solution/). Returns the entry names.
std::vector<std::string> write_gradescope_bundle(const Exercise& ex,
                                                 const std::filesystem::path& boxlab_bin,
                                                 const std::string& key,
                                                 const std::filesystem::path& out);

// Labs (labs.cpp): `boxlab lab export` files -> the class table. check_lab_export throws an
// Error naming WHERE when the JSON is not such a file.
void check_lab_export(const nlohmann::json& e, const std::string& where);
// A `boxlab lab export` file signed as records are ("signature": HMAC-SHA256 over the canonical
// JSON of the rest, under the instructor's key); verify_lab_export throws an Error naming WHERE
// when E has no signature or one that does not match KEY (changed after export, another key).
nlohmann::json signed_lab_export(const nlohmann::json& e, const std::string& key);
void verify_lab_export(const nlohmann::json& e, const std::string& key, const std::string& where);
// A row per learner, a column per lab step (pass, solve, passed-earlier, fail or empty), then
// the steps passed (solve excluded), the steps, and how many `lab solve` did.
std::string render_labs_csv(const std::vector<nlohmann::json>& exports);

// `blocked` (blocked.cpp): why the grading host cannot run the grader's containers, from a
// failed `boxlab run`'s output, or from the host's sysctls (PROC_SYS is /proc/sys); nullopt
// when nothing says so.
std::optional<std::string> namespaces_refused(std::string_view output);
std::optional<std::string> host_forbids_namespaces(const std::filesystem::path& proc_sys);
// `blocked` for mybox itself: a command that makes every namespace kind mybox makes, run in the
// grading container; and whether its failure (exit STATUS, OUTPUT) says the host refused them
// (then the reason), not that something else went wrong.
const std::vector<std::string>& namespace_probe_argv();
std::optional<std::string> mybox_namespaces_refused(int status, std::string_view output);
// The same for an overlay mount in a user namespace (host_needs "overlay-in-userns"): a shell
// script that mounts one in a scratch directory below DIR and removes it, and whether its
// failure says the kernel refused the mount (then the reason).
std::string overlay_probe_script(const std::string& dir);
std::optional<std::string> mybox_overlay_refused(int status, std::string_view output);

// Kubernetes: one batch/v1 Job per submission (k8s.cpp). The Job runs `boxlab grade` in
// `image` (boxlab at /usr/local/bin, exercises under /opt/boxlab/exercises, the base image
// built), the submissions on the PersistentVolumeClaim `claim` at /submissions, the key from
// the Secret `key_secret` at /etc/boxlab/grade.key; records go to /submissions/records.
struct K8sOptions {
  std::string image = "boxlab-grader:latest";
  std::string k8s_namespace = "default";
  std::string claim = "boxlab-submissions";
  std::string key_secret = "boxlab-grade-key";
};
nlohmann::json k8s_job(const Exercise& ex, const std::filesystem::path& submission,
                       const K8sOptions& opts);
// DIR/NAME.json per submission; two submissions that would make one Job name are an error.
std::vector<std::filesystem::path> write_k8s_jobs(
    const Exercise& ex, const std::vector<std::filesystem::path>& submissions,
    const K8sOptions& opts, const std::filesystem::path& dir);

// The grading image the Jobs run (`boxlab grade image`, grade_image.cpp): the base image plus
// this boxlab (and its shared libraries), the exercises (hidden checks included: the
// instructor's image), the host's C/C++ toolchain (dpkg -L of its packages, trimmed), written
// as an OCI image layout whose config runs `boxlab grade EXERCISE /submission` into /out.
struct GradingImageOptions {
  std::vector<Exercise> exercises;
  std::filesystem::path boxlab_bin;
  std::optional<std::filesystem::path> root;  // the store that has the base image
  std::string base = "base";
  std::string ref = "boxlab-grader:latest";  // org.opencontainers.image.ref.name
  std::filesystem::path work_dir;            // scratch (removed)
  bool toolchain = true;
};
struct GradingImage {
  std::string manifest_digest;
  std::uint64_t bytes = 0;  // the layout's files
  std::vector<std::string> exercises;
  std::size_t toolchain_packages = 0;
  std::vector<std::string> missing_packages;  // toolchain packages this host does not have
};
// Writes the layout into OUT_DIR (new or empty, as Store::export_image); leaves no tag.
GradingImage export_grading_image(const GradingImageOptions& options,
                                  const std::filesystem::path& out_dir);
// A tar of the layout at LAYOUT (what `skopeo copy oci-archive:FILE` and `docker load`-like
// tools take), written atomically.
void write_oci_archive(const std::filesystem::path& layout, const std::filesystem::path& file);

// ---------------------------------------------------------------------------------------------
// Grading

struct GradeOptions {
  std::filesystem::path boxlab_bin;
  std::optional<std::filesystem::path> root;  // --root of the boxlab that runs the containers
  std::filesystem::path work_dir;             // scratch space (removed per submission)
  int jobs = 1;
  std::string image = "base";
  std::filesystem::path proc_sys = "/proc/sys";  // where the host's namespace sysctls are read
  // The grading containers' seccomp profile (Docker or OCI JSON) in place of the grader
  // profile: a host whose own filter refuses more (tests stand in for one with it).
  std::optional<std::filesystem::path> seccomp;
  // In place of the exercise's build (`--build-command`): for a grading machine without a
  // toolchain, where each submission holds its program already, built elsewhere with the
  // exercise's build (the qemu guest of tests/vm: `test -x mybox`). Each record's build output
  // starts by saying so.
  std::optional<std::string> build_command;
};

// Grades each submission (in parallel, `jobs` at a time); the records come back in order.
// A submission's failure (refused, build, hostile behaviour) is its record's status, never an
// exception; an Error is thrown only when grading itself cannot run (no image, no boxlab).
std::vector<Record> grade(const Exercise& ex, const std::vector<std::filesystem::path>& submissions,
                          const GradeOptions& options);

}  // namespace boxlab::grade
