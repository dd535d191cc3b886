// Labs 02 and 06 without root, on the simulator (issue 21): `boxlab --sim lab solve` then
// `lab check` passes every step, and the ablation proof holds there too: with any needed
// solution command of a step left out (`lab solve --skip i`), that step does not pass.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/lab.hpp"
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

json check(const TempRoot& root, const std::string& lab, std::size_t step) {
  Result r = root.boxlab({"lab", "check", lab, "--step", std::to_string(step), "-o", "json"});
  INFO(r.err);
  return json::parse(r.out);
}

std::string passing(const json& j) {
  std::string out;
  for (const auto& c : j["steps"][0]["results"])
    out += c["id"].get<std::string>() + "=" + c["status"].get<std::string>() + " " +
           (c["status"] == "pass" ? "" : "(" + c.value("observed", "") + ") ");
  return out;
}

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
    json j = check(root, lab.number, step);
    INFO(passing(j));
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
  int replays = 0;
  for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
    const auto& s = lab.steps[step - 1];
    for (std::size_t i = 1; i <= s.solution.size(); ++i) {
      if (!s.solution_shows[i - 1].empty()) continue;  // only shows; lab.json says why
      INFO("lab " << id << " step " << step << " without solution command " << i << ": "
                  << s.solution[i - 1]);
      REQUIRE(root.boxlab({"lab", "reset", lab.number}).status == 0);
      for (std::size_t before = 1; before < step; ++before)
        REQUIRE(
            root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(before)}).status ==
            0);
      root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(step), "--skip",
                   std::to_string(i)});
      json j = check(root, lab.number, step);
      INFO("checks: " << passing(j));
      CHECK_FALSE(j["steps"][0]["passed"].get<bool>());
      ++replays;
    }
  }
  CHECK(replays > 0);
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
