#include "boxlab/fleet/autoscaler.hpp"

#include <algorithm>
#include <cmath>

namespace boxlab::fleet {

int Autoscaler::decide(double now, double measured, int desired) {
  double e = (measured - spec_.target) / spec_.target;
  e = std::clamp(e, -1.0, 10.0);  // an idle or swamped sensor saturates, as a real one would
  double dt = last_t_ < 0 ? spec_.sample_s : now - last_t_;
  double derivative = last_t_ < 0 || dt <= 0 ? 0 : (e - last_error_) / dt;
  double candidate = integral_ + e * dt;
  double u = base_ + spec_.kp * e + spec_.ki * candidate + spec_.kd * derivative;
  // Anti-windup: keep the integral only when the output is not pinned in the error's direction.
  bool pinned_high = u > spec_.max_replicas && e > 0, pinned_low = u < spec_.min_replicas && e < 0;
  if (!(pinned_high && spec_.ki > 0) && !(pinned_low && spec_.ki > 0)) integral_ = candidate;
  last_error_ = e;
  last_t_ = now;
  int rec = static_cast<int>(std::clamp(std::lround(u), static_cast<long>(spec_.min_replicas),
                                        static_cast<long>(spec_.max_replicas)));
  recent_.emplace_back(now, rec);
  while (!recent_.empty() && recent_.front().first < now - spec_.stabilise_s) recent_.pop_front();
  if (rec < desired && spec_.stabilise_s > 0) {
    int highest = rec;
    for (const auto& [t, r] : recent_) highest = std::max(highest, r);
    rec = std::min(highest, desired);
  }
  if (rec == desired) return desired;
  if (now - last_change_ < spec_.cooldown_s) return desired;
  last_change_ = now;
  return rec;
}

}  // namespace boxlab::fleet
