// The fleet's autoscaler: a PID controller on a Deployment's desired replicas.
//   e = (measured - target) / target            (relative: > 0 when overloaded)
//   u = base + kp*e + ki*sum(e*dt) + kd*de/dt    (base: the Deployment's initial replicas)
// rounded and clamped to [min, max]. P alone holds an offset (it needs an error to hold
// replicas away from base) and, with a high gain, overshoots back and forth; the I term removes
// the offset; D damps. The integral stops growing while the output is pinned at min or max
// (anti-windup). Cooldown: no change within cooldown_s of the last; stabilisation: a scale-down
// goes only as low as the highest recommendation of the last stabilise_s.
#pragma once

#include <deque>
#include <utility>

#include "boxlab/fleet/scenario.hpp"

namespace boxlab::fleet {

class Autoscaler {
 public:
  Autoscaler(const AutoscalerSpec& spec, int base) : spec_(spec), base_(base) {}
  // One decision at time now (s), from the measured value (as the sensor shows it) and the
  // replicas desired now; returns the new desired replicas.
  int decide(double now, double measured, int desired);
  double integral() const { return integral_; }

 private:
  AutoscalerSpec spec_;
  int base_;
  double integral_ = 0;
  double last_error_ = 0;
  double last_t_ = -1;
  double last_change_ = -1e18;
  std::deque<std::pair<double, int>> recent_;  // (time, recommendation) for stabilisation
};

}  // namespace boxlab::fleet
