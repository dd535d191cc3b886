// Containers' cgroups below our own cgroups, found by name, and a teardown sweep for those a
// failing test leaves behind (so that one failure does not leave boxlab-* directories in the
// machine's cgroup trees for good).
//
// The sweep only cleans up: a test asserts that nothing leaked FIRST (cgroups_named(...) is
// empty) and sweeps after that, in its teardown. Declare the CgroupSweep guard before the
// TempRoot, so that it runs last: after the test's assertions and after TempRoot's
// `boxlab rm -f`, which is the product's own removal.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "boxlab/cgroup.hpp"

namespace boxlab::test {

// Our own cgroup directories, where boxlab puts containers' cgroups: one per v1 hierarchy we
// are in (named ones like name=systemd too: containers join them) and the unified one (its
// parent when boxlab moved us to P/boxlab-engine on v2).
inline std::vector<std::filesystem::path> own_cgroup_dirs() {
  auto placement = cgroup::locate();
  std::set<std::filesystem::path> out;
  for (const auto& [controller, dir] : placement.v1) out.insert(dir);
  for (const auto& [named, dir] : placement.named) out.insert(dir);
  if (!placement.unified.empty())
    out.insert(placement.unified.filename() == "boxlab-engine" ? placement.unified.parent_path()
                                                               : placement.unified);
  return {out.begin(), out.end()};
}

// Cgroup directories whose name starts with "boxlab-" + prefix, right below any of ours.
inline std::set<std::string> cgroups_named(const std::string& prefix) {
  std::set<std::string> out;
  for (const auto& dir : own_cgroup_dirs()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_directory() && e.path().filename().string().rfind("boxlab-" + prefix, 0) == 0)
        out.insert(e.path().string());
  }
  return out;
}

// Removes the cgroup directories `tops` and everything below them, nested ones first; processes
// still in them (they are the test's: the names are its own) are thawed, SIGKILLed by pidfd and
// waited for. Returns what it could not remove, with the reason. sweep_cgroups(prefix) does it
// for every cgroup cgroups_named(prefix) finds.
inline std::vector<std::string> sweep_cgroup_dirs(const std::set<std::string>& tops) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  for (const auto& top : tops) {
    dirs.emplace_back(top);
    std::error_code ec;
    for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end());  // a parent sorts before its children

  // Thaw top-down (a frozen parent keeps its children frozen), so that SIGKILL takes effect.
  for (const auto& dir : dirs) {
    if (fs::exists(dir / "freezer.state")) std::ofstream(dir / "freezer.state") << "THAWED";
    if (fs::exists(dir / "cgroup.freeze")) std::ofstream(dir / "cgroup.freeze") << "0";
  }
  std::vector<int> pidfds;
  for (const auto& dir : dirs) {
    std::ifstream procs(dir / "cgroup.procs");
    for (int pid; procs >> pid;) {
      int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
      if (fd < 0) continue;  // already gone
      ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
      pidfds.push_back(fd);
    }
  }
  for (int fd : pidfds) {  // readable once the process has exited
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 30000);
    ::close(fd);
  }

  std::vector<std::string> failed;
  // A killed process leaves its cgroup a moment after it exits: retry busy ones, bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::reverse(dirs.begin(), dirs.end());  // children first
  for (const auto& dir : dirs) {
    int rc;
    while ((rc = ::rmdir(dir.c_str())) != 0 && errno == EBUSY &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    if (rc == 0)
      std::cerr << "swept cgroup " << dir.string() << " (left by a failed test)\n";
    else if (errno != ENOENT)
      failed.push_back(dir.string() + ": " + std::strerror(errno));
  }
  for (const auto& f : failed) std::cerr << "cannot sweep cgroup " << f << "\n";
  return failed;
}

inline std::vector<std::string> sweep_cgroups(const std::string& prefix) {
  return sweep_cgroup_dirs(cgroups_named(prefix));
}

// The same for a directory called exactly `name` right below any of our own cgroups (another
// engine's parent under a test's control, e.g. podman's libpod_parent).
inline std::vector<std::string> sweep_cgroup_tree(const std::string& name) {
  std::set<std::string> tops;
  for (const auto& dir : own_cgroup_dirs()) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir / name, ec)) tops.insert((dir / name).string());
  }
  return sweep_cgroup_dirs(tops);
}

// Sweeps a prefix's cgroups when it goes out of scope, also when the test failed (see top).
class CgroupSweep {
 public:
  explicit CgroupSweep(std::string prefix) : prefix_(std::move(prefix)) {}
  ~CgroupSweep() {
    try {
      sweep_cgroups(prefix_);
    } catch (...) {  // teardown: never throw out of a destructor
    }
  }
  CgroupSweep(const CgroupSweep&) = delete;
  CgroupSweep& operator=(const CgroupSweep&) = delete;

 private:
  std::string prefix_;
};

}  // namespace boxlab::test
