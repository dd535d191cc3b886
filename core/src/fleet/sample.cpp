// One row of the fleet's metrics every sample_s (docs/simulator.md "Metrics"): what the app
// charts and what the lab's fleet checks read. Traffic columns are means over the sample
// period; counts are as they stand at the sample.
#include "boxlab/fleet/fleet.hpp"

namespace boxlab::fleet {

namespace {
const char* const kDeploymentColumns[] = {"offered_rps", "served_rps", "desired", "ready",
                                          "pending",     "latency_ms", "p95_ms",  "utilisation"};
const char* const kStoreColumns[] = {"ready", "available", "acked", "failed", "lost"};
}  // namespace

void Fleet::init_columns() {
  metrics_.columns = {"t", "nodes_up", "pods_running", "pods_pending"};
  for (const auto& d : scenario_.deployments)
    for (const char* c : kDeploymentColumns) metrics_.columns.push_back(d.name + "." + c);
  for (const auto& s : scenario_.stores)
    for (const char* c : kStoreColumns) metrics_.columns.push_back(s.name + "." + c);
}

void Fleet::sample() {
  std::vector<double> row;
  row.reserve(metrics_.columns.size());
  row.push_back(now_s());
  int up = 0;
  for (const auto& n : nodes_) up += n.up;
  int running = 0, pending = 0;
  for (const auto& o : owners_)
    for (int i : o.pods) {
      running += pods_[i].phase == Phase::running && nodes_[pods_[i].node].up;
      pending += pods_[i].phase == Phase::pending;
    }
  row.insert(row.end(), {double(up), double(running), double(pending)});
  for (std::size_t i = 0; i < deployments_.size(); ++i) {
    DeploymentState& d = deployments_[i];
    const Owner& o = owners_[i];
    int waiting = 0;
    for (int p : o.pods) waiting += pods_[p].phase == Phase::pending;
    double n = d.ticks ? d.ticks : 1;
    bool fresh = d.ticks == 0;  // the first sample, before any tick
    row.insert(row.end(),
               {fresh ? d.offered : d.sum_offered / n, fresh ? d.served : d.sum_served / n,
                double(o.desired), double(ready_pods(static_cast<int>(i))), double(waiting),
                fresh ? d.latency_ms : d.sum_latency / n, fresh ? d.p95_ms : d.sum_p95 / n,
                fresh ? d.utilisation : d.sum_util / n});
    d.sum_offered = d.sum_served = d.sum_latency = d.sum_p95 = d.sum_util = 0;
    d.ticks = 0;
  }
  for (std::size_t i = 0; i < stores_.size(); ++i) {
    settle(static_cast<int>(i));
    StoreState& s = stores_[i];
    const int owner = static_cast<int>(deployments_.size() + i);
    // Available: the share of this period's writes acked; with none tried, whether some
    // replica reaches a majority now.
    double available;
    std::uint64_t tried = s.period_acked + s.period_failed;
    if (tried) {
      available = double(s.period_acked) / double(tried);
    } else {
      std::map<int, int> per_group;
      for (int p : owners_[owner].pods)
        if (serving(pods_[p])) ++per_group[nodes_[pods_[p].node].group];
      available = 0;
      for (const auto& [g, count] : per_group)
        if (count >= scenario_.stores[i].replicas / 2 + 1) available = 1;
    }
    row.insert(row.end(), {double(ready_pods(owner)), available, double(s.acked), double(s.failed),
                           double(s.lost)});
    s.period_acked = s.period_failed = 0;
  }
  if (sink_) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 1; i < row.size(); ++i) values[metrics_.columns[i]] = row[i];
    emit("sample", {{"values", values}});
  }
  metrics_.rows.push_back(std::move(row));
}

}  // namespace boxlab::fleet
