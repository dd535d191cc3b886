// Labs 15 and 17 run on the simulated fleet, without root: before a step's solution its checks
// do not pass, after it they all do, and with any needed solution command left out
// (`lab solve --skip i`) the step fails (the ablation proof, as tests/root/lab_ablation.cpp).
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

void solve_all(const std::string& id) {
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  CHECK(lab.requirements.empty());  // no root, no image: only the fleet simulator
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {lab.number});
  for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
    INFO("lab " << id << " step " << step);
    json before = boxlab::test::check_step_json(root, lab.number, step);
    for (const auto& c : before["steps"][0]["results"]) {
      INFO(boxlab::test::check_statuses(before));
      CHECK(c["status"] != "pass");
    }
    Result s = root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(step)});
    INFO(s.out << s.err);
    REQUIRE(s.status == 0);
    json after = boxlab::test::check_step_json(root, lab.number, step);
    INFO(boxlab::test::check_statuses(after));
    CHECK(after["steps"][0]["passed"].get<bool>());
  }
}

void ablate(const std::string& id) {
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {lab.number});
  boxlab::test::ablate_lab(root, lab);
}

}  // namespace

TEST_CASE("fleet labs: lab 15's solutions pass every step, without root", "[fleet]") {
  solve_all("15-control-theory");
}

TEST_CASE("fleet labs: lab 17's solutions pass every step, without root", "[fleet]") {
  solve_all("17-stateful-fleet");
}

TEST_CASE("fleet labs: lab 15 fails a step whose needed command is left out", "[fleet]") {
  ablate("15-control-theory");
}

TEST_CASE("fleet labs: lab 17 fails a step whose needed command is left out", "[fleet]") {
  ablate("17-stateful-fleet");
}

TEST_CASE("fleet labs: the simulator backend runs them too", "[fleet]") {
  ::setenv("BOXLAB_BACKEND", "sim", 1);
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {"15"});
  REQUIRE(root.boxlab({"lab", "solve", "15", "--step", "1"}).status == 0);
  json j = boxlab::test::check_step_json(root, "15", 1);
  ::unsetenv("BOXLAB_BACKEND");
  INFO(boxlab::test::check_statuses(j));
  CHECK(j["steps"][0]["passed"].get<bool>());
}

TEST_CASE("fleet labs: the fleet kind's fields are strict and name their pointer", "[fleet]") {
  auto error_of = [](const std::string& check) {
    std::string text = R"({"title": "T", "summary": "S", "minutes": 1, "steps": [{"id": "s",
      "title": "S", "instructions": "I", "hints": ["a", "b"], "solution": ["true"],
      "checks": [{"id": "c", "title": "C", "kind": "fleet", )" +
                       check + "}]}]}";
    try {
      boxlab::lab::parse_lab(text, "", "/x/15-test", "labs/15-test/lab.json");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string ok = R"("expect": [{"metric": "web.ready", "stat": "max", "at_most": 3}])";
  CHECK(error_of(R"("base": "{labs}/b.json", )" + ok) == "(no error)");
  CHECK(error_of(R"("base": "b.json", "scenario": "{answers}/s.json", "take": ["/a"], )" + ok) ==
        "(no error)");
  CHECK(error_of(ok) ==
        "labs/15-test/lab.json: /steps/0/checks/0: give a scenario (the learner's file), a base "
        "(the lab's), or both");
  CHECK(error_of(R"("base": "b.json", "scenario": "s.json", )" + ok) ==
        "labs/15-test/lab.json: /steps/0/checks/0: with base and scenario, give take: the JSON "
        "pointers the learner's file decides");
  CHECK(error_of(R"("base": "b.json", "take": ["/a"], )" + ok) ==
        "labs/15-test/lab.json: /steps/0/checks/0/take: only with both base and scenario");
  CHECK(error_of(R"("base": "b.json", "expect": [{"metric": "x", "stat": "max", "below": 3}])") ==
        "labs/15-test/lab.json: /steps/0/checks/0/expect/0/below: unknown field (known: metric, "
        "stat, from_s, to_s, around, at_least, at_most, answer, tolerance)");
  CHECK(error_of(R"("base": "b.json", "expect": [])") ==
        "labs/15-test/lab.json: /steps/0/checks/0/expect: give at least one predicate");
}
