// Labs 15 and 17 run on the simulated fleet, without root: before a step's solution its checks
// do not pass, after it they all do, and with any needed solution command left out
// (`lab solve --skip i`) the step fails (the ablation proof, as tests/root/lab_ablation.cpp).
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

json check(const TempRoot& root, const std::string& lab, std::size_t step) {
  Result r = root.boxlab({"lab", "check", lab, "--step", std::to_string(step), "-o", "json"});
  INFO(r.err);
  return json::parse(r.out);
}

std::string statuses(const json& j) {
  std::string out;
  for (const auto& c : j["steps"][0]["results"])
    out += c["id"].get<std::string>() + "=" + c["status"].get<std::string>() + " (" +
           c.value("observed", "") + ") ";
  return out;
}

void solve_all(const std::string& id) {
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  CHECK(lab.requirements.empty());  // no root, no image: only the fleet simulator
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {lab.number});
  for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
    INFO("lab " << id << " step " << step);
    json before = check(root, lab.number, step);
    for (const auto& c : before["steps"][0]["results"]) {
      INFO(statuses(before));
      CHECK(c["status"] != "pass");
    }
    Result s = root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(step)});
    INFO(s.out << s.err);
    REQUIRE(s.status == 0);
    json after = check(root, lab.number, step);
    INFO(statuses(after));
    CHECK(after["steps"][0]["passed"].get<bool>());
  }
}

void ablate(const std::string& id) {
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
      INFO("checks: " << statuses(j));
      CHECK_FALSE(j["steps"][0]["passed"].get<bool>());
      ++replays;
    }
  }
  CHECK(replays > 0);
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
  json j = check(root, "15", 1);
  ::unsetenv("BOXLAB_BACKEND");
  INFO(statuses(j));
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
