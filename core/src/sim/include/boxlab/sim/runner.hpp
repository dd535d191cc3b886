// Plays a scenario on a fresh machine: containers start at their times, faults strike at
// theirs, and every sample interval each running container's proc.tree and cgroup.stats go out.
#pragma once

#include <functional>

#include "boxlab/sim/machine.hpp"
#include "boxlab/sim/scenario.hpp"

namespace boxlab::sim {

// Called after each sample interval with the simulated time reached (the CLI paces --speed
// there; the model itself never sleeps).
using Pace = std::function<void(Time now)>;

Machine run_scenario(const Scenario& scenario, const Machine::Sink& sink, const Pace& pace = {});

}  // namespace boxlab::sim
