// The simulated fleet's cluster (core/src/fleet): the scheduler places by requests and spreads,
// a pod that fits nowhere stays Pending with the reason, the reconcile loop (control::reconcile)
// replaces a killed replica, and a node that goes down has its pods rescheduled elsewhere.
#include <catch2/catch.hpp>
#include <map>

#include "boxlab/fleet/fleet.hpp"

using namespace boxlab::fleet;
using nlohmann::json;

namespace {

json cluster(int nodes, double cpu, int replicas, double pod_cpu) {
  return {{"seed", 7},
          {"duration_s", 120},
          {"nodes", {{{"count", nodes}, {"cpu", cpu}, {"memory", "8G"}}}},
          {"deployments",
           {{{"name", "web"}, {"replicas", replicas}, {"cpu", pod_cpu}, {"startup_s", 2}}}}};
}

std::map<std::string, int> per_node(const Fleet& f, const std::string& owner) {
  std::map<std::string, int> out;
  for (const Pod* p : f.pods_of(owner))
    if (p->node >= 0 && p->phase != Phase::ended) ++out[f.nodes()[p->node].spec.name];
  return out;
}

}  // namespace

TEST_CASE("fleet: the scheduler spreads a Deployment's pods over the nodes that fit") {
  Fleet f(parse_scenario(cluster(3, 4, 6, 1)));
  f.run_until(5);
  auto spread = per_node(f, "web");
  CHECK(spread == std::map<std::string, int>{{"node-1", 2}, {"node-2", 2}, {"node-3", 2}});
  for (const Pod* p : f.pods_of("web")) CHECK(p->phase == Phase::running);
}

TEST_CASE("fleet: a pod that fits no node stays Pending and says why") {
  // 2 nodes of 2 cpus, pods of 1.5 cpu: two fit, the third has nowhere to go.
  Fleet f(parse_scenario(cluster(2, 2, 3, 1.5)));
  f.run_until(10);
  int pending = 0;
  for (const Pod* p : f.pods_of("web"))
    if (p->phase == Phase::pending) {
      ++pending;
      CHECK(p->reason == "0/2 nodes are available: 2 insufficient cpu");
    }
  CHECK(pending == 1);
  auto row = f.metrics().rows.back();
  CHECK(row[*f.metrics().column("web.pending")] == 1);
  CHECK(row[*f.metrics().column("web.ready")] == 2);

  // A node down counts as such in the reason.
  json s = cluster(2, 2, 3, 1.5);
  s["faults"] = {{{"at_s", 3}, {"action", "node_down"}, {"node", "node-2"}}};
  Fleet g(parse_scenario(s));
  g.run_until(10);
  bool saw = false;
  for (const Pod* p : g.pods_of("web"))
    if (p->phase == Phase::pending)
      saw = saw || p->reason == "0/2 nodes are available: 1 node down, 1 insufficient cpu";
  CHECK(saw);
}

TEST_CASE("fleet: a killed replica is replaced by the reconcile loop") {
  json s = cluster(2, 4, 3, 0.5);
  s["faults"] = {{{"at_s", 20.5}, {"action", "kill"}, {"pod", "web-1"}}};
  Fleet f(parse_scenario(s));
  f.run_until(20);
  REQUIRE(f.pod("web-1") != nullptr);
  CHECK(f.pod("web-1")->phase == Phase::running);
  f.run_until(20.5);
  REQUIRE(f.pod("web-1") != nullptr);
  CHECK(f.pod("web-1")->phase == Phase::ended);
  CHECK(f.pod("web-1")->exit_code == 137);
  f.run_until(21);  // the next reconcile: removed, and a new one in its place
  CHECK(f.pod("web-1") == nullptr);
  REQUIRE(f.pod("web-3") != nullptr);
  f.run_until(30);
  CHECK(f.pod("web-3")->phase == Phase::running);
  CHECK(f.pods_of("web").size() == 3);

  // restart Never: the killed one stays ended and is not replaced (as with real pods).
  s["deployments"][0]["restart"] = "Never";
  Fleet never(parse_scenario(s));
  never.run_until(30);
  CHECK(never.pod("web-1") != nullptr);
  CHECK(never.pod("web-3") == nullptr);
}

TEST_CASE("fleet: a node that goes down has its pods rescheduled on the others") {
  json s = cluster(3, 4, 6, 0.5);
  s["faults"] = {{{"at_s", 30}, {"action", "node_down"}, {"node", "node-1"}},
                 {{"at_s", 60}, {"action", "node_up"}, {"node", "node-1"}}};
  Fleet f(parse_scenario(s));
  f.run_until(29);
  CHECK(per_node(f, "web")["node-1"] == 2);
  f.run_until(40);
  auto after = per_node(f, "web");
  CHECK(after.count("node-1") == 0);
  CHECK(after["node-2"] + after["node-3"] == 6);
  const auto& m = f.metrics();
  CHECK(m.rows.back()[*m.column("nodes_up")] == 2);
  CHECK(m.rows.back()[*m.column("web.ready")] == 6);
  f.run_until(70);
  CHECK(f.metrics().rows.back()[*m.column("nodes_up")] == 3);
}

TEST_CASE(
    "fleet: the same seed gives the same metrics; another seed differs where chance is used") {
  json s = cluster(3, 8, 6, 0.5);
  s["deployments"][0]["load"] = {{"shape", "constant"}, {"rps", 300}, {"noise", 0.2}};
  s["faults"] = {{{"at_s", 30}, {"action", "kill"}, {"deployment", "web"}, {"count", 2}}};
  auto victims = [](const json& scenario) {
    std::vector<std::string> out;
    Fleet f(parse_scenario(scenario), [&](const json& e) {
      if (e["event"] == "fault.kill")
        for (const auto& p : e["pods"]) out.push_back(p);
    });
    f.run();
    return std::make_pair(out, f.metrics().rows);
  };
  auto a = victims(s), b = victims(s);
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  s["seed"] = 8;
  auto c = victims(s);
  CHECK(c.second != a.second);  // the load's noise
  CHECK(a.first.size() == 2);
}

TEST_CASE("fleet: latency follows utilisation, and a latency fault adds to it") {
  json s = cluster(2, 8, 4, 0.5);
  s["deployments"][0]["load"] = {{"shape", "constant"}, {"rps", 200}};
  s["deployments"][0]["service"] = {{"capacity_rps", 100}, {"service_time_ms", 20}};
  s["faults"] = {{{"at_s", 60}, {"action", "latency"}, {"ms", 100}}};
  Fleet f(parse_scenario(s));
  f.run_until(50);
  const auto& m = f.metrics();
  // rho = 200 / 400 = 0.5: 20 ms / (1 - 0.5) = 40 ms.
  CHECK(m.rows.back()[*m.column("web.utilisation")] == Approx(0.5));
  CHECK(m.rows.back()[*m.column("web.latency_ms")] == Approx(40));
  f.run_until(80);
  CHECK(m.rows.back()[*m.column("web.latency_ms")] == Approx(140));
}
