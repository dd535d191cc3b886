#include "boxlab/fleet/scheduler.hpp"

namespace boxlab::fleet {

Placement schedule(const std::vector<Node>& nodes, const Request& r) {
  int down = 0, cpu = 0, memory = 0, full = 0;
  int best = -1;
  auto owned = [&](const Node& n) {
    return r.owner < static_cast<int>(n.by_owner.size()) ? n.by_owner[r.owner] : 0;
  };
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    if (r.pinned >= 0 && i != r.pinned) continue;
    const Node& n = nodes[i];
    // One reason per node, the first that applies, as the kube scheduler's filters report.
    if (!n.up) {
      ++down;
    } else if (n.pods >= n.spec.max_pods) {
      ++full;
    } else if (n.cpu_used + r.cpu > n.spec.cpu + 1e-9) {
      ++cpu;
    } else if (n.memory_used + r.memory > n.spec.memory) {
      ++memory;
    } else if (best < 0 || owned(n) < owned(nodes[best]) ||
               (owned(n) == owned(nodes[best]) &&
                n.spec.cpu - n.cpu_used > nodes[best].spec.cpu - nodes[best].cpu_used + 1e-9)) {
      best = i;  // ties keep the first node: one seed, one placement
    }
  }
  Placement p;
  p.node = best;
  if (best >= 0) return p;
  std::string parts;
  auto add = [&](int count, const std::string& what) {
    if (count) parts += (parts.empty() ? "" : ", ") + std::to_string(count) + " " + what;
  };
  add(down, down == 1 ? "node down" : "nodes down");
  add(full, "too many pods");
  add(cpu, "insufficient cpu");
  add(memory, "insufficient memory");
  p.reason = "0/" + std::to_string(nodes.size()) + " nodes are available: " +
             (r.pinned >= 0 ? r.pinned_why + (parts.empty() ? "" : ", ") : "") + parts;
  return p;
}

void account(Node& node, const Request& r, int sign) {
  node.cpu_used += sign * r.cpu;
  if (node.cpu_used < 1e-9) node.cpu_used = 0;
  node.memory_used = sign > 0 ? node.memory_used + r.memory : node.memory_used - r.memory;
  node.pods += sign;
  if (static_cast<int>(node.by_owner.size()) <= r.owner) node.by_owner.resize(r.owner + 1, 0);
  node.by_owner[r.owner] += sign;
}

}  // namespace boxlab::fleet
