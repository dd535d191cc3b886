// Helpers shared by boxlab's tests: a private --root that always cleans up, and running the CLI.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace boxlab::test {

struct Result {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv[0] with args, optional stdin text; captures stdout/stderr.
Result run(const std::vector<std::string>& argv, const std::string& input = {});

// Runs body(out_fd) in a forked child of this test, which then _exits 0; returns the child's
// status (exit code, or 128+signal) and everything it wrote to out_fd. For probes that must run
// in a process of their own (a seccomp filter, dropped capabilities cannot be undone).
Result run_forked(const std::function<void(int out_fd)>& body);

// A private BOXLAB root, /tmp/boxlab-test-PID-XXXXXX (PID: the test process), unique per test.
// On destruction: `boxlab rm -f` every container (detached ones included) and `oci delete
// --force` every OCI one, unmount anything left below it, remove it.
//
// After a killed test. A ctest timeout SIGKILLs the test, so no destructor runs: its detached
// containers keep running and its root, mounts and cgroups stay. To clean up by hand, for each
// /tmp/boxlab-test-PID-* whose PID no longer runs (`ps -p PID`; never a root of a test that
// still runs, other worktrees' included), with B the build's boxlab and R the root:
//   for n in $(B --root R ps -a -q); do B --root R rm -f $n; done
//   for n in $(B --root R oci list -q); do B --root R oci delete --force $n; done
//   findmnt -rn -o TARGET | grep "^R/" | sort -r | xargs -r -n1 umount -l; rm -rf R
// then look for cgroups of those containers that rm could not remove, below our own cgroup in
// each hierarchy: `ls -d /sys/fs/cgroup/*/boxlab-NAME-*` (v1) or below the unified one (v2);
// rmdir them, nested ones first. cgroup_sweep.hpp does that last step for a name prefix.
class TempRoot {
 public:
  TempRoot();
  ~TempRoot();
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to ROOT/name (a manifest, an experiment) and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;
  // Runs `boxlab --root PATH args...`.
  Result boxlab(const std::vector<std::string>& args, const std::string& input = {}) const;
  // Builds the base image once into this root (copied from a shared cache when possible).
  void ensure_base_image() const;
  // An OCI bundle in DIR as `runc spec` makes it, the base image's files as its rootfs (the
  // base image must exist): returns config.json with terminal off and linux.cgroupsPath below
  // ours, named for this root; the caller edits it and writes DIR/config.json.
  nlohmann::json runc_bundle(const std::filesystem::path& dir) const;

 private:
  std::filesystem::path path_;
};

// What a lab test's boxlab commands (and serve) read: the source tree's labs (BOXLAB_LABS_DIR),
// progress and answers in ROOT/lab-state (BOXLAB_STATE_HOME), no colour. On destruction
// `boxlab lab reset` of each lab in `reset_at_end`, so the lab's cleanup runs (host leftovers
// such as IPC objects) even when a REQUIRE fails; the TempRoot then removes what remains.
class LabEnvironment {
 public:
  explicit LabEnvironment(const TempRoot& root, std::vector<std::string> reset_at_end = {});
  ~LabEnvironment();
  LabEnvironment(const LabEnvironment&) = delete;
  LabEnvironment& operator=(const LabEnvironment&) = delete;
  const std::filesystem::path& state() const { return state_; }

 private:
  const TempRoot& root_;
  std::filesystem::path state_;
  std::vector<std::string> reset_;
};

// `boxlab --root ROOT rm -f` every container and `oci delete --force` every OCI one; for a
// test's teardown of any root it ran containers in (TempRoot does it itself). Never throws.
void remove_all_containers(const std::filesystem::path& root);

bool is_root();
// The process exists and is not a zombie (an orphan's zombie may wait long for its reaper).
bool process_running(int pid);
// Mount points (from /proc/self/mountinfo) at or below dir.
std::vector<std::string> mounts_below(const std::filesystem::path& dir);
std::string trim(std::string s);
// Asks `done` every 20 ms until it says yes (true) or `limit` passes (false): for what another
// process does in its own time (a controller logging an event), never to time anything.
bool wait_for(const std::function<bool()>& done,
              std::chrono::milliseconds limit = std::chrono::seconds(30));

// argv run the way crun 1.8 can run on this kind of host: it wants a v1 layout without the
// hybrid cgroup2 mount, and its cgroups below ours. So: private mount and cgroup namespaces
// (`unshare`) with each v1 hierarchy mounted afresh, then exec argv.
std::vector<std::string> with_isolated_cgroups(const std::vector<std::string>& argv);

}  // namespace boxlab::test
