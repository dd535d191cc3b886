// Network faults in the kernel: a netem qdisc (tc qdisc ... netem delay/loss) on a container's
// interfaces, inside its own network namespace, where the kernel has sch_netem (Debian's does;
// some do not, this course's dev machine among them: there a chaos proxy does the job).
#pragma once

#include <string>
#include <vector>

#include "boxlab/container.hpp"

namespace boxlab::chaos {

struct Netem {
  int latency_ms = 0;
  int jitter_ms = 0;
  double loss = 0;  // 0..1, of packets
};

// "" when this kernel and host can run netem (a probe in a throwaway network namespace: tc
// found, sch_netem accepted); else why not, in words a learner can act on.
std::string netem_unavailable();
// The interfaces netem goes on: `only` when given (it must exist), else every one but lo.
// Throws when the container shares the host's network namespace (the host is never in the
// blast radius) or has no such interface.
std::vector<std::string> netem_interfaces(Runtime& runtime, const std::string& container,
                                          const std::string& only);
// Adds (`netem` set) or deletes (nullopt) the root netem qdisc on those interfaces, in the
// container's network namespace. Throws with tc's own message on failure.
void apply_netem(Runtime& runtime, const std::string& container,
                 const std::vector<std::string>& interfaces, const Netem* netem);

}  // namespace boxlab::chaos
