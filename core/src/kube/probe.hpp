// Liveness probes of a kube controller's pods: running one (an exec in the container, bounded in
// time and output) and keeping the count of failures in a row per container.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "manifest.hpp"

namespace boxlab::kube {

// One run of the probe's command in its container: "" when it passed, else why it failed
// ("exited with status 1: <output>", "timed out after 1 s", "could not be started: ...").
std::string run_probe(Runtime& runtime, const LivenessProbe& probe);

// When each container's probe is due and how many times in a row it failed. The clock starts
// when the tracker first sees the pod running (the pod the controller made, or found).
class ProbeTracker {
 public:
  using Clock = std::chrono::steady_clock;
  using Runner = std::string (*)(Runtime&, const LivenessProbe&);

  explicit ProbeTracker(Runner runner = run_probe) : runner_(runner) {}

  // Runs the probes of running pod `pod` that are due at `now`. Returns why the pod is unhealthy
  // once one of its probes reached its failure threshold, else nullopt.
  std::optional<std::string> check(Runtime& runtime, const std::string& pod,
                                   const std::vector<LivenessProbe>& probes, Clock::time_point now);
  // How many probes ran so far, passed or failed.
  std::size_t runs() const { return runs_; }
  // Forgets the pods not in `alive` (removed or replaced).
  void keep_only(const std::vector<std::string>& alive);

 private:
  struct Track {
    Clock::time_point next;
    int failures = 0;
  };
  Runner runner_;
  std::size_t runs_ = 0;
  std::map<std::string, std::map<std::string, Track>> pods_;  // pod -> container -> track
};

}  // namespace boxlab::kube
