// `boxlab chaos run EXPERIMENT.yaml`: a chaos experiment on real containers (docs/chaos.md).
// It measures the steady state with a probe before any fault (no steady state, no experiment),
// injects the method's faults (kill a container's process or a Deployment's pod, freeze a
// container, fill a container's memory) only within the blast radius, aborts and rolls back when
// the probe fails too often in a row, and judges the hypothesis over the faults and what
// follows. Every fault is undone at the end, whatever happened (frozen containers thawed,
// memory released). The journal (JSON) records samples, faults, what they hit and the verdict;
// a copy stays in STATE/chaos/.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "boxlab/container.hpp"

namespace boxlab::chaos {

enum class Verdict { held, deviated, aborted, not_steady };
const char* verdict_name(Verdict v);
// The exit status `boxlab chaos run` gives a verdict: 0 held, 2 deviated, 3 aborted, 4 not
// steady (1 is an error: the experiment did not run).
int exit_status(Verdict v);

struct Outcome {
  Verdict verdict = Verdict::held;
  nlohmann::json journal;
};

// Reads, checks (all or nothing: a bad field or a target that does not exist stops it before
// any fault) and runs the experiment; `progress` hears each fault and the verdict as they come.
Outcome run(Runtime& runtime, const std::filesystem::path& experiment, std::ostream& progress);
// The journals kept in STATE/chaos/, oldest first.
std::vector<nlohmann::json> journals(Runtime& runtime);

}  // namespace boxlab::chaos
