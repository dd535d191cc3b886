#include "boxlab/reconcile.hpp"

namespace boxlab::control {

bool needs_replacing(const Replica& r, RestartPolicy policy) {
  if (r.running) return !r.healthy;
  bool failed = r.exit_code.value_or(1) != 0;
  return policy == RestartPolicy::always || (policy == RestartPolicy::on_failure && failed);
}

Actions reconcile(const Desired& desired, const std::vector<Replica>& observed) {
  Actions out;
  std::vector<const Replica*> kept;
  for (const auto& r : observed) {
    if (needs_replacing(r, desired.restart))
      out.remove.push_back(r.name);
    else
      kept.push_back(&r);
  }
  // Surplus: the newest go first (the end of the list), running or not.
  while (kept.size() > desired.replicas) {
    out.remove.push_back(kept.back()->name);
    kept.pop_back();
  }
  out.create = desired.replicas - kept.size();
  return out;
}

}  // namespace boxlab::control
