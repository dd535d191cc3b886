// The cgroup check kind on the real runtime (root): the live probe reads a container's cgroup
// through Container::stats(), so labs about limits can check them.
#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace boxlab::lab;

TEST_CASE("cgroup checks read the limits and counters of a real container") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  boxlab::test::TempRoot root;
  root.ensure_base_image();
  auto run = root.boxlab({"run", "-d", "--name", "lab09-hog", "--memory", "32M", "--pids", "20",
                          "base", "sleep", "100"});
  INFO(run.err);
  REQUIRE(run.status == 0);

  Lab lab = parse_lab(R"({"title": "T", "summary": "S", "minutes": 1, "steps": [
    {"id": "limits", "title": "Limits", "instructions": "x", "hints": ["a", "b"],
     "solution": ["true"], "checks": [
      {"id": "mem", "title": "memory.max is 32M", "kind": "cgroup", "container": "lab09-hog",
       "metric": "memory.max", "equals": "32M"},
      {"id": "pids", "title": "pids.max is 20", "kind": "cgroup", "container": "lab09-hog",
       "metric": "pids.max", "equals": 20},
      {"id": "running", "title": "a process runs", "kind": "cgroup", "container": "lab09-hog",
       "metric": "pids.current", "min": 1, "max": 20},
      {"id": "no-oom", "title": "nothing was OOM-killed", "kind": "cgroup",
       "container": "lab09-hog", "metric": "memory.oom_kill", "equals": 0},
      {"id": "oom", "title": "an OOM kill happened", "kind": "cgroup", "container": "lab09-hog",
       "metric": "memory.oom_kill", "min": 1}]}]})",
                      "", root.path() / "09-cgroup", "09-cgroup/lab.json");
  auto probe = make_live_probe({root.path(), BOXLAB_BIN});
  Engine engine(*probe);
  Workspace ws{root.path() / "lab-state"};
  StepReport r = engine.check_step(lab, 0, ws);
  REQUIRE(r.results.size() == 5);
  for (std::size_t i = 0; i < 4; ++i) {
    INFO(r.results[i].id << ": " << r.results[i].observed);
    CHECK(r.results[i].status == CheckStatus::pass);
  }
  CHECK(r.results[4].status == CheckStatus::fail);
  // Named as this host's cgroup version names it (memory.oom_control's oom_kill on v1).
  CHECK(r.results[4].observed == cgroup_file(*probe, "memory.oom_kill") + " is 0");
  CHECK(r.results[4].observed == (probe->cgroup_version("memory") == 1
                                      ? "memory.oom_control's oom_kill is 0"
                                      : "memory.events' oom_kill is 0"));
}
