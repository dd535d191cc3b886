#include "descendants.hpp"

#include <optional>

#include "boxlab/monitor.hpp"

namespace boxlab::monitor {

std::vector<pid_t> descendants(pid_t root) {
  TreeSampler tree({root, std::nullopt}, {});  // descendants mode: parentage from /proc
  std::vector<pid_t> out;
  for (const auto& p : tree.sample().procs)
    if (p.pid != root) out.push_back(p.pid);
  return out;
}

}  // namespace boxlab::monitor
