// A boxlab SIGKILLed at any point of create or rm (BOXLAB_FAULT, boxlab/fault.hpp) leaves a
// stale container that the next `ps` shows and the next `rm` clears completely: cgroup, address
// lease, state dir, process. Regressions found by the churn test (tests/reliability). Each test
// checks that no cgroup of its containers is left, then sweeps any that are (cgroup_sweep.hpp).
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "leaks.hpp"
#include "cgroup_sweep.hpp"
#include "net_support.hpp"
#include "test_support.hpp"

using boxlab::test::CgroupSweep;
using boxlab::test::TempRoot;

namespace {

// Runs boxlab with BOXLAB_FAULT=point (this test is single-threaded: setenv is safe).
boxlab::test::Result with_fault(const TempRoot& root, const std::string& point,
                                const std::vector<std::string>& args) {
  ::setenv("BOXLAB_FAULT", point.c_str(), 1);
  auto r = root.boxlab(args);
  ::unsetenv("BOXLAB_FAULT");
  return r;
}

nlohmann::json state_of(const TempRoot& root, const std::string& name) {
  std::ifstream in(root.path() / "state/containers" / name / "state.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

// A SIGKILLed boxlab closes its pipes a moment before it is gone (its container is "creating"
// until then): wait for the recorded creator to exit.
void wait_for_creator(const nlohmann::json& state) {
  int creator = state.is_object() ? state.value("creatorPid", 0) : 0;
  if (creator <= 0) return;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, creator, 0));
  if (fd < 0) return;
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 30000);
  ::close(fd);
}

std::string ps_line(const TempRoot& root, const std::string& name) {
  auto ps = root.boxlab({"ps", "-a"});
  REQUIRE(ps.status == 0);
  std::istringstream in(ps.out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return line;
  return "";
}

void reap_zombies() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// Nothing of container `name` is left: no state dir, cgroup, lease, link but the bridge.
void require_gone(const TempRoot& root, const std::string& name) {
  CHECK_FALSE(std::filesystem::exists(root.path() / "state/containers" / name));
  CHECK(boxlab::test::cgroups_named(name + "-").empty());
  CHECK(boxlab::churn::leases_of(root.path()) == "");
  // A host veth that rm did not know yet (killed before it was recorded) goes when the kernel
  // tears the container's netns down, a moment after its last process: wait for that, bounded.
  auto only_bridge = [] {
    for (const auto& l : boxlab::test::links_made())
      if (l != "boxlab0") return false;
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!only_bridge() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  for (const auto& l : boxlab::test::links_made()) CHECK(l == "boxlab0");
}

}  // namespace

TEST_CASE("a run killed at any point of create is shown by ps and cleared by rm", "[root]") {
  // Orphaned containers and keepers come to this process, which reaps them.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  boxlab::test::enter_test_netns();
  CgroupSweep sweep("crash" + std::to_string(::getpid()) + "-");  // after require_gone's checks
  TempRoot root;
  root.ensure_base_image();
  for (const char* point : {"create.dir", "create.network", "create.state", "create.cgroup",
                            "create.clone", "create.ready", "create.done"}) {
    DYNAMIC_SECTION(point) {
      std::string name = "crash" + std::to_string(::getpid()) + "-" + point;
      std::replace(name.begin(), name.end(), '.', '-');
      auto run = with_fault(root, point,
                            {"run", "-d", "--name", name, "--net", "bridge", "--memory", "32m",
                             "--pids", "32", "base", "--", "sleep", "1000"});
      INFO(run.err);
      CHECK(run.status != 0);
      auto state = state_of(root, name);
      wait_for_creator(state);
      std::string line = ps_line(root, name);
      INFO(line);
      bool done = std::string(point) == "create.done";
      CHECK(line.find(done ? " running " : " stopped ") != std::string::npos);
      int pid = state.is_object() ? state.value("pid", 0) : 0;
      auto rm = root.boxlab(done ? std::vector<std::string>{"rm", "-f", name}
                                 : std::vector<std::string>{"rm", name});
      INFO(rm.err);
      CHECK(rm.status == 0);
      require_gone(root, name);
      if (pid > 0) CHECK_FALSE(boxlab::test::process_running(pid));
      reap_zombies();
    }
  }
}

TEST_CASE("an rm killed at any point is finished by the next rm", "[root]") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  boxlab::test::enter_test_netns();
  CgroupSweep sweep("crash" + std::to_string(::getpid()) + "-");
  TempRoot root;
  root.ensure_base_image();
  for (const char* point : {"remove.killed", "remove.cgroup", "remove.network"}) {
    DYNAMIC_SECTION(point) {
      std::string name = "crash" + std::to_string(::getpid()) + "-" + point;
      std::replace(name.begin(), name.end(), '.', '-');
      REQUIRE(root.boxlab({"run", "-d", "--name", name, "--net", "bridge", "--memory", "32m",
                           "base", "--", "sleep", "1000"})
                  .status == 0);
      int pid = state_of(root, name).value("pid", 0);
      auto rm = with_fault(root, point, {"rm", "-f", name});
      CHECK(rm.status == 128 + SIGKILL);
      CHECK(ps_line(root, name).find(" stopped") != std::string::npos);
      auto again = root.boxlab({"rm", name});
      INFO(again.err);
      CHECK(again.status == 0);
      require_gone(root, name);
      CHECK_FALSE(boxlab::test::process_running(pid));
      reap_zombies();
    }
  }
}

TEST_CASE("a run that runs out of fds anywhere leaves no cgroup behind", "[root]") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  CgroupSweep sweep("fds" + std::to_string(::getpid()) + "-");
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "--rm", "base", "true"}).status == 0);  // layers unpacked
  // From too few fds to start at all to enough: every step of create fails once with EMFILE.
  for (int nofile = 6; nofile <= 16; ++nofile) {
    for (int variant = 0; variant < 4; ++variant) {
      bool limits = variant & 1, detached = variant & 2;
      std::string name = "fds" + std::to_string(::getpid()) + "-" + std::to_string(nofile) + "-" +
                         std::to_string(variant);
      std::vector<std::string> argv = {"prlimit",
                                       "--nofile=" + std::to_string(nofile),
                                       BOXLAB_BIN,
                                       "--root",
                                       root.path().string(),
                                       "run",
                                       "--name",
                                       name};
      if (detached) argv.push_back("-d");
      if (limits) argv.insert(argv.end(), {"--memory", "32m", "--pids", "32"});
      argv.insert(argv.end(), {"base", "--", "sleep", detached ? "1000" : "0"});
      auto run = boxlab::test::run(argv);
      INFO(name << ": " << run.err);
      if (run.status != 0) wait_for_creator(state_of(root, name));  // else it is the keeper
      if (!ps_line(root, name).empty()) CHECK(root.boxlab({"rm", "-f", name}).status == 0);
      CHECK(ps_line(root, name).empty());
      CHECK_FALSE(std::filesystem::exists(root.path() / "state/containers" / name));
      CHECK(boxlab::test::cgroups_named(name + "-").empty());
      reap_zombies();
    }
  }
}
