// The fleet's autoscaler as a control loop: P alone with a high gain oscillates (the replica
// count crosses the target again and again), PI settles on the target (no steady-state
// error), and a sensor delay makes the same PI overshoot further.
#include <catch2/catch.hpp>

#include "boxlab/fleet/check.hpp"
#include "boxlab/fleet/fleet.hpp"

using namespace boxlab::fleet;
using nlohmann::json;

namespace {

// 300 rps, then 600 from 60 s: at a target utilisation of 0.6 with 100 rps a replica, the
// right answer is 10 replicas.
json web(double kp, double ki, double kd, double delay) {
  return {
      {"seed", 15},
      {"duration_s", 600},
      {"nodes", {{{"count", 4}, {"cpu", 8}, {"memory", "16G"}}}},
      {"deployments",
       {{{"name", "web"},
         {"replicas", 5},
         {"startup_s", 10},
         {"load", {{"shape", "steps"}, {"rps", 300}, {"steps", {{{"at_s", 60}, {"rps", 600}}}}}},
         {"service", {{"capacity_rps", 100}, {"service_time_ms", 20}, {"max_latency_ms", 2000}}},
         {"autoscaler",
          {{"target", 0.6},
           {"kp", kp},
           {"ki", ki},
           {"kd", kd},
           {"sample_s", 5},
           {"delay_s", delay},
           {"min", 1},
           {"max", 30}}}}}}};
}

double stat(const Series& s, const std::string& stat, double from, double around = 0) {
  Predicate p;
  p.metric = "web.ready";
  p.stat = stat;
  p.from_s = from;
  p.around = around;
  return statistic(s, p);
}

}  // namespace

TEST_CASE("fleet autoscaler: P-only with a high gain oscillates around the target") {
  Series s = run_metrics(parse_scenario(web(20, 0, 0, 0)));
  CHECK(stat(s, "crossings", 100, 10) >= 10);
  CHECK(stat(s, "amplitude", 300) >= 20);
}

TEST_CASE("fleet autoscaler: P-only with a low gain settles off the target (steady-state error)") {
  Series s = run_metrics(parse_scenario(web(2, 0, 0, 0)));
  CHECK(stat(s, "amplitude", 250) == 0);
  CHECK(stat(s, "mean_abs_error", 250, 10) >= 3);  // 5 + 2 * (10/R - 1) = R settles at 6
}

TEST_CASE("fleet autoscaler: PI settles on the target") {
  Series s = run_metrics(parse_scenario(web(2, 0.2, 0, 0)));
  CHECK(stat(s, "amplitude", 250) == 0);
  CHECK(stat(s, "mean_abs_error", 250, 10) < 0.1);
  Predicate util{"web.utilisation", "mean", 250};
  CHECK(statistic(s, util) == Approx(0.6).epsilon(0.02));
}

TEST_CASE("fleet autoscaler: a sensor delay makes the same PI overshoot further") {
  double prompt = stat(run_metrics(parse_scenario(web(2, 0.2, 0, 0))), "max", 60);
  double late = stat(run_metrics(parse_scenario(web(2, 0.2, 0, 30))), "max", 60);
  INFO("peak replicas without delay " << prompt << ", with a 30 s delay " << late);
  CHECK(late >= prompt + 4);
}

TEST_CASE("fleet autoscaler: cooldown spaces its changes") {
  json s = web(20, 0, 0, 0);
  s["deployments"][0]["autoscaler"]["cooldown_s"] = 60;
  std::vector<double> at;
  Fleet f(parse_scenario(s), [&](const json& e) {
    if (e["event"] == "scale") at.push_back(e["t"]);
  });
  f.run();
  REQUIRE(at.size() >= 2);
  for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] >= 60);
}
