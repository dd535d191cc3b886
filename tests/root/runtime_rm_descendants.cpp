// rm -f of a container with neither a pid namespace nor a cgroup: nothing ends its processes
// for it but rm's walk of the first process's descendants (the monitor's TreeSampler in its
// descendants mode), grandchildren included.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::process_running;
using boxlab::test::TempRoot;

namespace {

// The pid the container wrote to `file` (it renames it into place whole); 0 after the deadline.
int wait_for_pid(const fs::path& file) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(file) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  int pid = 0;
  std::ifstream(file) >> pid;
  return pid;
}

bool wait_gone(int pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (process_running(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return !process_running(pid);
}

// Ends, should the test fail, the processes it saw, and reaps what came to us (subreaper).
struct Leftovers {
  std::vector<int> pids;
  ~Leftovers() {
    for (int pid : pids)
      if (pid > 0 && process_running(pid)) ::kill(pid, SIGKILL);
    for (int pid : pids)
      if (pid > 0) wait_gone(pid);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
};

}  // namespace

TEST_CASE("rm -f ends the children and grandchildren of a container without pid ns or cgroup",
          "[root]") {
  // The killed processes' orphans come to us (pid 1 here never reaps them).
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  Leftovers leftovers;  // after TempRoot's rm -f
  TempRoot root;
  root.ensure_base_image();
  fs::path out = root.path() / "out";
  fs::create_directories(out);
  const std::string script =
      "sh -c 'sleep 1000 & echo $! > /out/g.tmp; mv /out/g.tmp /out/grandchild; wait' & "
      "echo $! > /out/c.tmp; mv /out/c.tmp /out/child; wait";
  // Run where no cgroup filesystem is mounted (a private mount namespace without
  // /sys/fs/cgroup), as on a host that gives boxlab no cgroup: the container gets none.
  auto run = boxlab::test::run({"unshare",
                                "-m",
                                "--propagation",
                                "private",
                                "sh",
                                "-c",
                                "umount -l /sys/fs/cgroup && exec \"$0\" \"$@\"",
                                BOXLAB_BIN,
                                "--root",
                                root.path().string(),
                                "run",
                                "-d",
                                "--name",
                                "family",
                                "--ns",
                                "mount",
                                "--privileged",  // no cgroupfs here: no device cgroup either
                                "--volume",
                                out.string() + ":/out",
                                "base",
                                "--",
                                "sh",
                                "-c",
                                script});
  INFO(run.err);
  REQUIRE(run.status == 0);
  int child = wait_for_pid(out / "child");
  int grandchild = wait_for_pid(out / "grandchild");
  leftovers.pids = {child, grandchild};
  REQUIRE(child > 0);
  REQUIRE(grandchild > 0);
  CHECK(process_running(child));
  CHECK(process_running(grandchild));
  auto inspect = root.boxlab({"inspect", "family"});
  REQUIRE(inspect.status == 0);
  nlohmann::json state = nlohmann::json::parse(inspect.out);
  INFO(inspect.out);
  REQUIRE(state["cgroup"].is_null());  // else its cgroup's kill would end them anyway
  int first = state["pid"];
  leftovers.pids.push_back(first);

  auto rm = root.boxlab({"rm", "-f", "family"});
  INFO(rm.err);
  CHECK(rm.status == 0);
  CHECK(wait_gone(first));
  CHECK(wait_gone(child));
  CHECK(wait_gone(grandchild));
}
