// A simulated fleet (issue 21): nodes, a scheduler, Deployments and replicated stores kept at
// their replicas by reconcile loops (control::reconcile, the function kube's real Deployment
// controller uses), a load model, a PID autoscaler and faults, as a deterministic, seeded
// discrete-event simulation. Time is in microseconds of simulated time; nothing here waits.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "boxlab/fleet/autoscaler.hpp"
#include "boxlab/fleet/metrics.hpp"
#include "boxlab/fleet/scenario.hpp"
#include "boxlab/fleet/scheduler.hpp"
#include "boxlab/sim/rng.hpp"

namespace boxlab::fleet {

using Micros = std::int64_t;

enum class Phase { pending, starting, running, ended };
const char* phase_name(Phase p);

struct Pod {
  std::string name;
  int owner = 0;
  int ordinal = -1;  // a store's replica number (its identity and its volume)
  int node = -1;
  Phase phase = Phase::pending;
  std::string reason;  // Pending: why; ended: "Killed", "NodeLost"
  std::optional<int> exit_code;
  Micros ready_at = 0;
  std::uint64_t data = 0;  // a store replica: the last write it holds
  bool gone = false;       // removed by its controller
};

// What a Deployment or a store shares: a reconcile loop over its pods.
struct Owner {
  std::string name;
  bool store = false;
  int index = 0;  // into deployments or stores
  int desired = 0;
  control::RestartPolicy restart = control::RestartPolicy::always;
  double cpu = 0;
  std::uint64_t memory = 0;
  Micros startup = 0, reconcile = 0;
  std::vector<int> pods;  // live pods, oldest first
  int next = 0;           // the next pod's number
};

struct DeploymentState {
  double offered = 0, served = 0, latency_ms = 0, p95_ms = 0, utilisation = 0;
  double backlog = 0;   // requests waiting
  double added_ms = 0;  // a latency fault
  std::optional<Autoscaler> autoscaler;
  std::deque<std::pair<double, double>> sensor;  // (t, measured) for the sensor delay
  // Sums over the current sample period.
  double sum_offered = 0, sum_served = 0, sum_latency = 0, sum_p95 = 0, sum_util = 0;
  int ticks = 0;
};

struct StoreState {
  std::uint64_t acked = 0, failed = 0;
  std::uint64_t head = 0;  // the newest write any copy holds (writes are kept in order)
  std::uint64_t lost = 0;  // acked writes no copy holds any more
  std::uint64_t period_acked = 0, period_failed = 0;
  std::size_t next_writer = 0;
  std::vector<int> volume_node;            // per ordinal: where its volume is (-1: none yet)
  std::vector<std::uint64_t> volume_data;  // per ordinal: the last write on its volume
};

class Fleet {
 public:
  using Sink = std::function<void(const nlohmann::json&)>;
  explicit Fleet(Scenario scenario, Sink on_event = {});

  // Runs every event up to and including time t_s (at most the scenario's duration).
  void run_until(double t_s);
  void run() { run_until(scenario_.duration_s); }
  double now_s() const { return static_cast<double>(now_) / 1e6; }

  const Scenario& scenario() const { return scenario_; }
  const Series& metrics() const { return metrics_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Owner>& owners() const { return owners_; }
  // A live (not removed) pod by name, else nullptr.
  const Pod* pod(const std::string& name) const;
  std::vector<const Pod*> pods_of(const std::string& owner) const;
  const StoreState& store(const std::string& name) const;
  const DeploymentState& deployment(const std::string& name) const;
  // Acked writes of the store that no live replica and no volume holds any more.
  std::uint64_t lost_writes(int store) const;
  nlohmann::json summary() const;

 private:
  enum class Ev { fault, ready, reconcile, autoscale, write, tick, sample };
  struct Event {
    Micros t;
    Ev type;
    std::uint64_t seq;
    int index;
    bool operator>(const Event& o) const {
      if (t != o.t) return t > o.t;
      if (type != o.type) return type > o.type;
      return seq > o.seq;
    }
  };
  void push(Micros t, Ev type, int index);
  void emit(const std::string& event, nlohmann::json body);

  // fleet.cpp: pods, reconcile, faults.
  void reconcile(int owner);
  int create_pod(int owner);
  void place(int pod);
  void end_pod(int pod, const std::string& reason, std::optional<int> exit_code);
  void remove_pod(int pod);
  void schedule_pending();
  void fault(const FaultSpec& f);
  Request request_of(const Pod& p) const;
  // load.cpp: traffic, latency and the autoscaler.
  void tick(double dt_s);
  void autoscale(int deployment);
  int ready_pods(int owner) const;
  // store.cpp: quorum writes.
  void write(int store);
  bool serving(const Pod& p) const;
  // Folds copies that are gone into `lost` (a pod's container layer dies with it).
  void settle(int store);
  // sample.cpp: the metrics row.
  void init_columns();
  void sample();

  Scenario scenario_;
  Sink sink_;
  sim::Rng rng_;
  Micros now_ = 0;
  std::uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, int> node_index_;
  std::vector<Owner> owners_;
  std::vector<Pod> pods_;
  std::unordered_map<std::string, int> pod_index_;  // live pods by name
  std::vector<int> pending_;                        // pods waiting for a node
  std::vector<DeploymentState> deployments_;
  std::vector<StoreState> stores_;
  Series metrics_;
  std::map<std::string, std::uint64_t> counts_;  // events by kind, for the summary
};

// The scenario run to its end (or until_s, when given).
Series run_metrics(const Scenario& scenario, std::optional<double> until_s = std::nullopt);

}  // namespace boxlab::fleet
