// The traffic model: requests offered to each Deployment, served by its ready replicas, and
// the latency that follows from utilisation (M/M/1-like: service_time / (1 - rho), plus the
// backlog's wait once rho reaches 1, capped at the timeout). And the autoscaler's sensor.
#include <algorithm>
#include <cmath>

#include "boxlab/fleet/fleet.hpp"

namespace boxlab::fleet {

int Fleet::ready_pods(int owner) const {
  int n = 0;
  for (int i : owners_[owner].pods)
    n += pods_[i].phase == Phase::running && nodes_[pods_[i].node].up;
  return n;
}

void Fleet::tick(double dt) {
  const double t = now_s();
  for (std::size_t i = 0; i < deployments_.size(); ++i) {
    const DeploymentSpec& spec = scenario_.deployments[i];
    DeploymentState& d = deployments_[i];
    double offered = std::max(0.0, spec.load.at(t));
    if (spec.load.noise > 0) offered *= 1 + spec.load.noise * (2 * rng_.uniform() - 1);
    const double mu = spec.service.capacity_rps;
    const double cap = ready_pods(static_cast<int>(i)) * mu;
    const double st = spec.service.service_time_ms / 1000,
                 max_s = spec.service.max_latency_ms / 1000;
    double arrived = offered * dt, can = cap * dt;
    double served = std::min(d.backlog + arrived, can);
    d.backlog = std::min(d.backlog + arrived - served, cap * max_s);  // older ones time out
    d.offered = offered;
    d.served = served / dt;
    // Utilisation as the sensor reads it; with nothing ready, as if one replica took it all.
    d.utilisation = cap > 0 ? offered / cap : offered / mu;
    d.utilisation = std::min(d.utilisation, 10.0);
    double latency_s;
    if (offered <= 0)
      latency_s = st;
    else if (cap <= 0)
      latency_s = max_s;
    else
      latency_s = std::min(st / (1 - std::min(d.utilisation, 0.95)) + d.backlog / cap, max_s);
    d.latency_ms = latency_s * 1000 + d.added_ms;
    // Response times of an M/M/1 queue are exponential: p95 = mean * ln 20.
    d.p95_ms = std::min(latency_s * std::log(20.0), max_s) * 1000 + d.added_ms;
    d.sum_offered += d.offered;
    d.sum_served += d.served;
    d.sum_latency += d.latency_ms;
    d.sum_p95 += d.p95_ms;
    d.sum_util += d.utilisation;
    ++d.ticks;
    if (spec.autoscaler) {
      const AutoscalerSpec& a = *spec.autoscaler;
      d.sensor.emplace_back(
          t, a.metric == AutoscalerSpec::Metric::latency ? d.latency_ms : d.utilisation);
      while (d.sensor.size() > 2 && d.sensor[1].first < t - a.delay_s - 1) d.sensor.pop_front();
    }
  }
}

void Fleet::autoscale(int i) {
  DeploymentState& d = deployments_[i];
  const AutoscalerSpec& a = *scenario_.deployments[i].autoscaler;
  if (d.sensor.empty()) return;
  // The sensor delay: the newest reading at least delay_s old.
  const double seen_at = now_s() - a.delay_s;
  double measured = d.sensor.front().second;
  for (const auto& [t, v] : d.sensor)
    if (t <= seen_at + 1e-9) measured = v;
  Owner& o = owners_[i];
  int next = d.autoscaler->decide(now_s(), measured, o.desired);
  if (next != o.desired) {
    emit("scale",
         {{"deployment", o.name}, {"from", o.desired}, {"to", next}, {"measured", measured}});
    o.desired = next;
  }
}

}  // namespace boxlab::fleet
