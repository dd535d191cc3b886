// Chaos experiments, without running one: the experiment file's checks (every field applied or
// refused by its place; nothing outside the blast radius) and the judging (a window's numbers,
// the tolerance, the abort condition).
#include <catch2/catch.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "kube/chaos_plan.hpp"
#include "kube/chaos_verdict.hpp"
#include "kube/yaml.hpp"

using namespace boxlab::chaos;

namespace {

const char* const kExperiment = R"(title: one replica down
hypothesis: the service answers while one replica is lost
steadyState:
  probe: {command: [sh, -c, "true"]}
  intervalSeconds: 0.5
  tolerance: {successRatio: 0.9, maxLatencyMs: 300}
blastRadius:
  deployments: [web]
  containers: [db]
abort: {failuresInARow: 4}
method:
  - {at: 1, action: kill, deployment: web, pick: oldest}
  - {at: 2, action: freeze, container: db, seconds: 3}
)";

Experiment plan(const std::string& text) {
  return plan_experiment(boxlab::kube::read_yaml(text, "x.yaml"), "x.yaml");
}

std::string refusal(const std::string& text) {
  try {
    plan(text);
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "accepted";
}

std::string with(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("an experiment is planned field by field") {
  Experiment e = plan(kExperiment);
  CHECK(e.title == "one replica down");
  CHECK(e.steady.probe == std::vector<std::string>{"sh", "-c", "true"});
  CHECK(e.steady.interval_s == 0.5);
  CHECK(e.steady.tolerance.success_ratio == 0.9);
  CHECK(e.steady.tolerance.max_latency_ms == 300);
  CHECK(e.abort_failures_in_a_row == 4);
  REQUIRE(e.method.size() == 2);
  CHECK(e.method[0].action == "kill");
  CHECK(e.method[0].target.deployment == "web");
  CHECK(e.method[0].target.pick == "oldest");
  CHECK(e.method[0].signal == 9);
  CHECK(e.method[1].target.container == "db");
  CHECK(e.method[1].seconds == 3);
  CHECK(e.method[1].where == "/method/1");
}

TEST_CASE("a fault outside the blast radius, or a field that cannot work, is refused by place") {
  CHECK_THAT(refusal(with(kExperiment, "container: db,", "container: api,")),
             Catch::Contains("x.yaml: /method/1/container (line 13, column") &&
                 Catch::Contains("api is outside the blast radius"));
  CHECK_THAT(refusal(with(kExperiment, "deployment: web, pick", "deployment: api, pick")),
             Catch::Contains("/method/0/deployment") && Catch::Contains("blastRadius.deployments"));
  CHECK_THAT(
      refusal(with(kExperiment, "hypothesis: the service answers while one replica is lost\n", "")),
      Catch::Contains("needs a hypothesis"));
  CHECK_THAT(
      refusal(with(kExperiment, "action: kill", "action: reboot")),
      Catch::Contains("/method/0/action") && Catch::Contains("not kill, freeze, memory or delay"));
  CHECK_THAT(refusal(with(kExperiment, "pick: oldest}", "pick: oldest, seconds: 2}")),
             Catch::Contains("/method/0/seconds") && Catch::Contains("no seconds"));
  CHECK_THAT(refusal(with(kExperiment, ", seconds: 3}", "}")),
             Catch::Contains("/method/1") && Catch::Contains("needs seconds"));
  CHECK_THAT(refusal(with(kExperiment, "successRatio: 0.9", "successRatio: 1.5")),
             Catch::Contains("/steadyState/tolerance/successRatio"));
  CHECK_THAT(refusal(with(kExperiment, "abort:", "aborts:")),
             Catch::Contains("/aborts") && Catch::Contains("not a field of an experiment"));
  CHECK_THAT(refusal(with(kExperiment, "action: freeze, container: db", "action: freeze")),
             Catch::Contains("names its target"));
  CHECK_THAT(
      refusal(std::string(kExperiment) + "  - {action: memory, container: db, seconds: 1}\n"),
      Catch::Contains("/method/2") && Catch::Contains("needs bytes"));
}

TEST_CASE("a delay fault acts on a proxy in the blast radius, with a delay or a loss") {
  std::string proxied =
      with(kExperiment, "  containers: [db]\n", "  containers: [db]\n  proxies: [front]\n");
  Experiment e = plan(
      proxied +
      "  - {at: 3, action: delay, proxy: front, ms: 200, jitterMs: 50, loss: 0.25, seconds: 2}\n");
  REQUIRE(e.method.size() == 3);
  CHECK(e.method[2].target.proxy == "front");
  CHECK(e.method[2].latency_ms == 200);
  CHECK(e.method[2].jitter_ms == 50);
  CHECK(e.method[2].loss == 0.25);
  CHECK(e.method[2].target.describe() == "proxy front");
  CHECK_THAT(refusal(proxied + "  - {action: delay, proxy: back, ms: 1, seconds: 1}\n"),
             Catch::Contains("/method/2/proxy") && Catch::Contains("outside the blast radius"));
  CHECK_THAT(refusal(proxied + "  - {action: delay, proxy: front, seconds: 1}\n"),
             Catch::Contains("needs ms, jitterMs or loss"));
  // On a container: netem on its interfaces (one, or all but lo), in the blast radius.
  Experiment netem =
      plan(proxied + "  - {action: delay, container: db, interface: eth0, ms: 5, seconds: 1}\n");
  CHECK(netem.method[2].target.container == "db");
  CHECK(netem.method[2].interface == "eth0");
  CHECK_THAT(refusal(proxied + "  - {action: delay, container: api, ms: 5, seconds: 1}\n"),
             Catch::Contains("/method/2/container") && Catch::Contains("outside the blast radius"));
  CHECK_THAT(
      refusal(proxied + "  - {action: delay, container: db, proxy: front, ms: 5, seconds: 1}\n"),
      Catch::Contains("a proxy") && Catch::Contains("or a container"));
  CHECK_THAT(refusal(proxied + "  - {action: freeze, container: db, interface: lo, seconds: 1}\n"),
             Catch::Contains("/method/2/interface"));
  CHECK_THAT(refusal(proxied + "  - {action: kill, container: db, ms: 5}\n"),
             Catch::Contains("/method/2/ms") && Catch::Contains("only a delay fault"));
  CHECK_THAT(refusal(proxied + "  - {action: delay, proxy: front, loss: 2, seconds: 1}\n"),
             Catch::Contains("/method/2/loss"));
}

TEST_CASE("a window's numbers and the tolerance") {
  std::vector<Sample> s;
  for (int i = 0; i < 20; ++i) s.push_back({i * 0.1, i != 7, 10.0 + i, i == 7 ? "exit 1" : ""});
  WindowStats all = window(s, 0, 2);
  CHECK(all.probes == 20);
  CHECK(all.passed == 19);
  CHECK(all.success_ratio == Approx(0.95));
  CHECK(all.max_ms == 29);
  // Nearest rank over the 19 passing times: ceil(0.95 * 19) = 19, the slowest of them.
  CHECK(all.p95_ms == 29);
  std::string why;
  CHECK(within(all, {0.95, 0}, &why));
  CHECK_FALSE(within(all, {0.96, 0}, &why));
  CHECK_THAT(why, Catch::Contains("19 of 20 probes passed"));
  CHECK_FALSE(within(all, {0.9, 25}, &why));
  CHECK_THAT(why, Catch::Contains("over 25 ms"));
  WindowStats late = window(s, 1.0, 2);
  CHECK(late.probes == 10);
  CHECK(late.passed == 10);
  CHECK(late.p95_ms == 29);  // ceil(0.95 * 10) = 10: 20..29
  std::vector<Sample> many;
  for (int i = 1; i <= 100; ++i) many.push_back({0, true, static_cast<double>(i)});
  CHECK(window(many, 0, 1).p95_ms == 95);
  CHECK_FALSE(within(window(s, 5, 6), {0, 0}, &why));  // no probe at all is not steady
  CHECK_THAT(why, Catch::Contains("no probe"));
}

TEST_CASE("failures in a row count from the newest sample back") {
  std::vector<Sample> s = {{0, false}, {1, true}, {2, false}, {3, false}};
  CHECK(failures_in_a_row(s) == 2);
  s.push_back({4, true});
  CHECK(failures_in_a_row(s) == 0);
  CHECK(failures_in_a_row({}) == 0);
}
