// Labs 02 and 06 without root, on the simulator (issue 21): `boxlab --sim lab solve` then
// `lab check` passes every step, and the ablation proof holds there too: with any needed
// solution command of a step left out (`lab solve --skip i`), that step does not pass.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/lab.hpp"
#include "lab_proof.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kLabs = fs::path(BOXLAB_SOURCE_DIR) / "labs";

// Every boxlab this test starts (and the commands they start) works on the simulated machine.
struct OnSim {
  OnSim() { ::setenv("BOXLAB_BACKEND", "sim", 1); }
  ~OnSim() { ::unsetenv("BOXLAB_BACKEND"); }
};

void solve_all(const std::string& id) {
  OnSim sim;
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {lab.number});
  for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
    Result s = root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(step)});
    INFO("lab " << id << " step " << step << " solve: " << s.out << s.err);
    REQUIRE(s.status == 0);
    CHECK(s.out.find("(simulated)") != std::string::npos);
    json j = boxlab::test::check_step_json(root, lab.number, step);
    INFO(boxlab::test::check_statuses(j));
    CHECK(j["steps"][0]["passed"].get<bool>());
  }
  // The ansi report says plainly that it ran on the simulator.
  Result text = root.boxlab({"lab", "check", lab.number, "--step", "1"});
  CHECK(text.out.find("(simulated) Simulated (boxlab --sim)") != std::string::npos);
}

void ablate(const std::string& id) {
  OnSim sim;
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {lab.number});
  boxlab::test::ablate_lab(root, lab);
}

}  // namespace

TEST_CASE("sim labs: lab 02's solutions pass every step on the simulator, without root", "[sim]") {
  solve_all("02-pid-namespace");
}

TEST_CASE("sim labs: lab 06's solutions pass every step on the simulator, without root", "[sim]") {
  solve_all("06-cgroup-memory");
}

TEST_CASE("sim labs: lab 02 on the simulator fails a step whose needed command is left out",
          "[sim]") {
  ablate("02-pid-namespace");
}

TEST_CASE("sim labs: lab 06 on the simulator fails a step whose needed command is left out",
          "[sim]") {
  ablate("06-cgroup-memory");
}
