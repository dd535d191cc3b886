// The simulated fleet's speed (issue 21: 10,000 containers on 100 nodes at 100x real time or
// faster): 10 Deployments of 1,000 replicas on 100 nodes, with load, autoscalers, node losses
// and kills, and a replicated store, for --seconds of simulated time. Prints simulated seconds
// per wall second. Measures; exits 1 only when the fleet did not reach 10,000 ready pods.
//
//   bench_fleet [--seconds 600] [--deployments 10] [--replicas 1000] [--nodes 100]
#include "boxlab/fleet/fleet.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using nlohmann::json;
namespace fleet = boxlab::fleet;

int main(int argc, char** argv) {
  double seconds = 600;
  int deployments = 10, replicas = 1000, nodes = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
    if (std::strcmp(argv[i], "--deployments") == 0) deployments = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--replicas") == 0) replicas = std::stoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--nodes") == 0) nodes = std::stoi(argv[i + 1]);
  }
  json s = {{"name", "bench"},
            {"seed", 1},
            {"duration_s", seconds},
            {"sample_s", 1},
            {"nodes", {{{"count", nodes}, {"cpu", 64}, {"memory", "256G"}, {"max_pods", 250}}}}};
  // Capacity for the replicas plus headroom, so a node loss reschedules instead of Pending.
  s["deployments"] = json::array();
  for (int d = 0; d < deployments; ++d) {
    json dep = {{"name", "app" + std::to_string(d)},
                {"replicas", replicas},
                {"cpu", 0.05},
                {"memory", "64M"},
                {"startup_s", 5},
                {"load",
                 {{"shape", "sine"},
                  {"mean_rps", replicas * 60.0},
                  {"amplitude_rps", replicas * 10.0},
                  {"period_s", 300},
                  {"noise", 0.05}}},
                {"service", {{"capacity_rps", 100}, {"service_time_ms", 20}}}};
    if (d % 2 == 0)
      dep["autoscaler"] = {{"target", 0.6},      {"kp", 100},     {"ki", 10},
                           {"sample_s", 15},     {"delay_s", 30}, {"min", replicas / 2},
                           {"max", replicas * 2}};
    s["deployments"].push_back(dep);
  }
  s["stores"] = {{{"name", "db"}, {"replicas", 3}, {"write_rps", 100}}};
  s["faults"] = json::array();
  for (int k = 0; k < 5; ++k) {
    std::string node = "node-" + std::to_string(1 + k * 7 % nodes);
    s["faults"].push_back({{"at_s", 60 + 90 * k}, {"action", "node_down"}, {"node", node}});
    s["faults"].push_back({{"at_s", 120 + 90 * k}, {"action", "node_up"}, {"node", node}});
    s["faults"].push_back(
        {{"at_s", 75 + 90 * k}, {"action", "kill"}, {"deployment", "app1"}, {"count", 50}});
  }
  fleet::Fleet f(fleet::parse_scenario(s));
  auto start = std::chrono::steady_clock::now();
  f.run_until(10);
  int ready = static_cast<int>(f.metrics().rows.back()[*f.metrics().column("pods_running")]);
  f.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "fleet: %d nodes, %d pods running at 10 s, %.0f simulated s in %.2f wall s: "
      "%.0fx real time\n",
      nodes, ready, seconds, wall, seconds / wall);
  return ready >= deployments * replicas ? 0 : 1;
}
