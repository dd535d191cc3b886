// A fleet scenario (JSON, docs/simulator.md "The fleet"): nodes with capacity, Deployments with
// a load, a service model and an optional autoscaler, replicated stores, and faults at given
// times. Parsing is strict: an unknown or bad field is one error naming its JSON pointer
// ("/deployments/0/autoscaler/kq: unknown field (known: ...)").
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/reconcile.hpp"

namespace boxlab::fleet {

struct NodeSpec {
  std::string name;
  double cpu = 4;                     // cores
  std::uint64_t memory = 8ULL << 30;  // bytes
  int max_pods = 110;
};

// Requests per second offered over time.
struct LoadSpec {
  enum class Shape { constant, steps, ramp, sine };
  Shape shape = Shape::constant;
  double rps = 0;                                // constant; steps: before the first step
  std::vector<std::pair<double, double>> steps;  // (at_s, rps), sorted by at_s
  double from_rps = 0, to_rps = 0, start_s = 0, end_s = 0;  // ramp
  double mean_rps = 0, amplitude_rps = 0, period_s = 60;    // sine
  double noise = 0;           // relative, uniform in [-noise, +noise] per tick (the seed's chance)
  double at(double t) const;  // without noise
};

struct ServiceSpec {
  double capacity_rps = 100;     // what one ready replica serves at full utilisation
  double service_time_ms = 20;   // latency of one request on an idle replica
  double max_latency_ms = 5000;  // the timeout: latency is capped here, older requests dropped
};

struct AutoscalerSpec {
  enum class Metric { utilisation, latency };
  Metric metric = Metric::utilisation;
  double target = 0.6;  // utilisation (0..) or mean latency in ms
  double kp = 1, ki = 0, kd = 0;
  double sample_s = 5;     // how often it decides
  double delay_s = 0;      // sensor delay: it sees the metric as it was this long ago
  double cooldown_s = 0;   // no change within this long of the previous one
  double stabilise_s = 0;  // scale down to the highest recommendation of this window
  int min_replicas = 1, max_replicas = 100;
};

struct DeploymentSpec {
  std::string name;
  int replicas = 1;  // initial desired (the autoscaler's base)
  double cpu = 0.5;
  std::uint64_t memory = 256ULL << 20;
  double startup_s = 5;
  double reconcile_s = 1;
  control::RestartPolicy restart = control::RestartPolicy::always;
  LoadSpec load;
  ServiceSpec service;
  std::optional<AutoscalerSpec> autoscaler;
};

struct StoreSpec {
  std::string name;
  int replicas = 3;
  bool volume = false;  // data on a volume bound to the node (else on the container layer)
  double cpu = 0.5;
  std::uint64_t memory = 512ULL << 20;
  double startup_s = 5;
  double reconcile_s = 1;
  double write_rps = 10;  // writes, round-robin over the running replicas
};

struct FaultSpec {
  enum class Action { kill, node_down, node_up, partition, heal, latency };
  double at_s = 0;
  Action action = Action::kill;
  std::string pod;    // kill: this pod
  std::string owner;  // kill: a deployment or store ("count" of its pods, chosen by chance)
  int count = 1;
  std::string node;                              // node_down, node_up
  std::vector<std::vector<std::string>> groups;  // partition: nodes in different groups
  std::string deployment;                        // latency: "" = every deployment
  double ms = 0;                                 // latency added to every request (0: removes it)
};

struct Scenario {
  std::string name = "fleet";
  std::uint64_t seed = 1;
  double duration_s = 300;
  double sample_s = 1;
  double tick_s = 0.1;  // load and queues are integrated in steps of this
  std::vector<NodeSpec> nodes;
  std::vector<DeploymentSpec> deployments;
  std::vector<StoreSpec> stores;
  std::vector<FaultSpec> faults;
};

// Throws boxlab::Error "<pointer>: <what>".
Scenario parse_scenario(const nlohmann::json& j);
// "scenario FILE: <pointer>: <what>" on a bad file.
nlohmann::json read_scenario_json(const std::filesystem::path& file);
Scenario load_scenario(const std::filesystem::path& file);

}  // namespace boxlab::fleet
