// The tests' cgroup sweep (tests/support/cgroup_sweep.hpp): it removes a prefix's leftover
// cgroups in every hierarchy we are in, nested, frozen and populated ones included, and
// nothing else.
#include "cgroup_sweep.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "boxlab/cgroup.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace cg = boxlab::cgroup;
using boxlab::test::cgroups_named;

extern char** environ;

namespace {

// Where boxlab itself would create containers' cgroups: the v1 hierarchies, or on pure v2 the
// unified tree (on hybrid boxlab creates nothing in the cgroup2 tree).
std::vector<fs::path> container_parents() {
  auto placement = cg::locate();
  if (placement.layout == cg::Layout::v2) return boxlab::test::own_cgroup_dirs();
  std::set<fs::path> dirs;
  for (const auto& [controller, dir] : placement.v1) dirs.insert(dir);
  return {dirs.begin(), dirs.end()};
}

// What the test made, undone whatever happens: our child killed and reaped, the decoy removed.
struct Made {
  pid_t child = -1;
  std::vector<fs::path> decoys;
  ~Made() {
    if (child > 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    for (const auto& d : decoys) ::rmdir(d.c_str());
  }
};

}  // namespace

TEST_CASE("the cgroup sweep removes a prefix's nested frozen populated cgroups and no others",
          "[root]") {
  const std::string prefix = "sweep" + std::to_string(::getpid()) + "-";
  boxlab::test::CgroupSweep guard(prefix);  // should the sweep under test fail half-way
  Made made;
  char sleep_arg[] = "sleep", seconds[] = "1000";
  char* argv[] = {sleep_arg, seconds, nullptr};
  REQUIRE(::posix_spawnp(&made.child, "sleep", nullptr, nullptr, argv, environ) == 0);

  auto parents = container_parents();
  REQUIRE_FALSE(parents.empty());
  for (const auto& parent : parents) {
    fs::path top = parent / ("boxlab-" + prefix + "box-abc123");
    REQUIRE(::mkdir(top.c_str(), 0755) == 0);
    REQUIRE(::mkdir((top / "nested").c_str(), 0755) == 0);
    std::ofstream(top / "nested" / "cgroup.procs") << made.child;
    // Frozen from above: the sweep must thaw before its SIGKILL can end the process.
    if (fs::exists(top / "freezer.state")) std::ofstream(top / "freezer.state") << "FROZEN";
    if (fs::exists(top / "cgroup.freeze")) std::ofstream(top / "cgroup.freeze") << "1";
    fs::path decoy = parent / ("boxlab-other" + std::to_string(::getpid()) + "-box-abc123");
    REQUIRE(::mkdir(decoy.c_str(), 0755) == 0);
    made.decoys.push_back(decoy);
  }
  REQUIRE(cgroups_named(prefix).size() == parents.size());
  {
    std::ifstream procs(parents[0] / ("boxlab-" + prefix + "box-abc123") / "nested" /
                        "cgroup.procs");
    pid_t inside = 0;
    procs >> inside;
    REQUIRE(inside == made.child);
  }

  CHECK(boxlab::test::sweep_cgroups(prefix).empty());
  CHECK(cgroups_named(prefix).empty());
  int status = 0;
  REQUIRE(::waitpid(made.child, &status, 0) == made.child);  // the sweep ended it
  made.child = -1;
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  for (const auto& d : made.decoys) CHECK(fs::is_directory(d));  // another prefix: kept
}
