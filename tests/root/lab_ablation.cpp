// The ablation proof of a lab (issue 17): every command of a step's solution is needed. For each
// step N and each solution command i not marked "shows" (a command that only shows what the step
// is about, with the reason in lab.json), the lab is replayed from a reset up to step N-1, step
// N's solution runs without command i (`lab solve --step N --skip i`), and step N must not pass.
// One lab here per `./kit test`, to keep its cost in bounds (lab 01: about 15 replays).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/lab.hpp"
#include "lab_proof.hpp"
#include "net_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kLabs = fs::path(BOXLAB_SOURCE_DIR) / "labs";

// base_image: build the base image first (lab 00 builds it itself, in its first step).
void ablate(const std::string& id, bool base_image = true) {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  TempRoot root;
  if (base_image) root.ensure_base_image();
  boxlab::test::LabEnvironment env(root, {lab.number});

  boxlab::test::ablate_lab(root, lab);
}

}  // namespace

TEST_CASE("lab 00 ablation: dropping any needed solution command fails its step") {
  ablate("00-before-you-start", false);
}

TEST_CASE("lab 01 ablation: dropping any needed solution command fails its step") {
  // Step 4 adds a veth pair to the host: here, to this test's own netns.
  if (boxlab::test::is_root()) boxlab::test::enter_test_netns();
  ablate("01-process-and-chroot");
}

TEST_CASE("lab 02 ablation: dropping any needed solution command fails its step") {
  ablate("02-pid-namespace");
}

TEST_CASE("lab 03 ablation: dropping any needed solution command fails its step") {
  ablate("03-mount-namespace");
}

TEST_CASE("lab 04 ablation: dropping any needed solution command fails its step") {
  ablate("04-uts-ipc");
}

TEST_CASE("lab 05 ablation: dropping any needed solution command fails its step") {
  ablate("05-user-namespace");
}

TEST_CASE("lab 06 ablation: dropping any needed solution command fails its step") {
  ablate("06-cgroup-memory");
}

TEST_CASE("lab 07 ablation: dropping any needed solution command fails its step") {
  ablate("07-cgroup-pids-cpu");
}

TEST_CASE("lab 08 ablation: dropping any needed solution command fails its step") {
  ablate("08-image-layers");
}

TEST_CASE("lab 09 ablation: dropping any needed solution command fails its step") {
  // Everything the lab makes (veth pair, bridge, port) lives in this test's own netns.
  if (boxlab::test::is_root()) boxlab::test::enter_test_netns();
  ablate("09-network-namespaces");
}

TEST_CASE("lab 10 ablation: dropping any needed solution command fails its step") {
  ablate("10-capabilities-seccomp");
}

TEST_CASE("lab 11 ablation: dropping any needed solution command fails its step") {
  ablate("11-volumes-and-stateful-data");
}

TEST_CASE("lab 12 ablation: dropping any needed solution command fails its step") {
  ablate("12-one-bundle-three-runtimes");
}

TEST_CASE("lab 13 ablation: dropping any needed solution command fails its step") {
  ablate("13-pods");
}

TEST_CASE("lab 14 ablation: dropping any needed solution command fails its step") {
  ablate("14-reconcile-loops");
}

TEST_CASE("lab 16 ablation: dropping any needed solution command fails its step") {
  ablate("16-chaos-engineering");
}

TEST_CASE("every command a solution marks as only showing says why") {
  for (const auto& dir : boxlab::lab::lab_dirs(kLabs)) {
    boxlab::lab::Lab lab = boxlab::lab::load_lab(dir);
    for (const auto& s : lab.steps) {
      REQUIRE(s.solution_shows.size() == s.solution.size());
      std::size_t needed = 0;
      for (const auto& why : s.solution_shows) needed += why.empty();
      INFO(lab.id << " step " << s.id << ": a solution needs at least one needed command");
      CHECK(needed > 0);
    }
  }
}
