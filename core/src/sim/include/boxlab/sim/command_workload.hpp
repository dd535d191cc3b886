// What a command does, for `boxlab --sim run IMAGE CMD...`: the simulator runs no programs, so
// it recognises the shapes the labs use (docs/sim.md has the table) and gives each a workload.
// `--workload JSON` overrides the guess.
#pragma once

#include <string>
#include <vector>

#include "boxlab/sim/scenario.hpp"

namespace boxlab::sim {

struct CommandWorkload {
  Workload workload;
  std::string
      shape;  // "memory hog", "fork loop", "busy loop", "sleep", "short command", "idle shell"
};

CommandWorkload workload_for(const std::vector<std::string>& command);

}  // namespace boxlab::sim
