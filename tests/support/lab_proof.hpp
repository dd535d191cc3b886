// The ablation proof of a lab (issue 17), one loop for every backend that proves labs
// (root/lab_ablation on the real runtime, unit/sim_labs on the simulator, unit/fleet_labs on the
// simulated fleet): for each step N and each solution command i not marked "shows", the lab is
// replayed from a reset up to step N-1, step N's solution runs without command i
// (`lab solve --step N --skip i`), and step N must not pass.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace boxlab::test {

// `lab check LAB --step N -o json`, parsed.
inline nlohmann::json check_step_json(const TempRoot& root, const std::string& lab,
                                      std::size_t step) {
  Result r = root.boxlab({"lab", "check", lab, "--step", std::to_string(step), "-o", "json"});
  INFO(r.err);
  return nlohmann::json::parse(r.out);
}

// Each check of the one step in `report` as "id=status (observed)", for INFO.
inline std::string check_statuses(const nlohmann::json& report) {
  std::string out;
  for (const auto& c : report["steps"][0]["results"])
    out += c["id"].get<std::string>() + "=" + c["status"].get<std::string>() +
           (c["status"] == "pass" ? " " : " (" + c.value("observed", "") + ") ");
  return out;
}

// The ablation replays of `lab` in `root` (its environment set up by the caller).
inline void ablate_lab(const TempRoot& root, const boxlab::lab::Lab& lab) {
  int replays = 0;
  for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
    const auto& s = lab.steps[step - 1];
    for (std::size_t i = 1; i <= s.solution.size(); ++i) {
      if (!s.solution_shows[i - 1].empty()) continue;  // only shows; lab.json says why
      INFO("lab " << lab.id << " step " << step << " without solution command " << i << ": "
                  << s.solution[i - 1]);
      REQUIRE(root.boxlab({"lab", "reset", lab.number}).status == 0);
      for (std::size_t before = 1; before < step; ++before)
        REQUIRE(
            root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(before)}).status ==
            0);
      // The rest of the solution may fail (a later command uses what the dropped one made).
      root.boxlab({"lab", "solve", lab.number, "--step", std::to_string(step), "--skip",
                   std::to_string(i)});
      nlohmann::json j = check_step_json(root, lab.number, step);
      INFO("checks: " << check_statuses(j));
      CHECK_FALSE(j["steps"][0]["passed"].get<bool>());
      ++replays;
    }
  }
  CHECK(replays > 0);
}

}  // namespace boxlab::test
