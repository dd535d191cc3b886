#include "boxlab/reconcile.hpp"

namespace boxlab::control {

Actions reconcile(const Desired& desired, const std::vector<Replica>& observed) {
  Actions out;
  std::vector<const Replica*> kept;
  for (const auto& r : observed) {
    bool replace = false;
    if (!r.running) {
      bool failed = r.exit_code.value_or(1) != 0;
      replace = desired.restart == RestartPolicy::always ||
                (desired.restart == RestartPolicy::on_failure && failed);
    } else if (!r.healthy) {
      replace = true;
    }
    if (replace)
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
