// A chaos experiment, as read from its YAML file (docs/chaos.md): a hypothesis about steady
// state (a probe and its tolerance), the blast radius (what faults may touch), an abort
// condition, and the method (faults at given times). Every field is applied or refused by its
// place, and a fault outside the blast radius is refused before anything runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "yaml.hpp"

namespace boxlab::chaos {

struct Tolerance {
  double success_ratio = 1.0;  // of the probes in a window, at least this share pass
  double max_latency_ms = 0;   // the 95th percentile of passing probes' time, at most (0: any)
};

struct SteadyState {
  std::vector<std::string> probe;  // argv, run on the host; exit 0 is a pass
  double interval_s = 0.25;
  double timeout_s = 1;
  Tolerance tolerance;
  double before_s = 2;  // measured before the first fault: is the system steady at all?
  double after_s = 3;   // measured after the last fault ended, within the judged window
};

struct Target {
  std::string container;        // a container, by name
  std::string deployment;       // or a pod of a Deployment (kube), picked as `pick` says
  std::string pick = "random";  // random, oldest, newest
  std::string proxy;            // or a chaos proxy (delay faults)
  std::string describe() const;
};

struct Fault {
  double at_s = 0;     // after the `before` window
  std::string action;  // kill, freeze, memory, delay
  Target target;
  double seconds = 0;      // freeze, memory: how long
  std::int64_t bytes = 0;  // memory: how much the container is made to hold
  int signal = 9;          // kill
  int latency_ms = 0;      // delay: added to every chunk, each way
  int jitter_ms = 0;       // delay: plus up to this, at random
  double loss = 0;         // delay: the share of new connections (proxy) or packets dropped
  std::string interface;   // delay on a container (netem): one interface; "": all but lo
  std::string where;       // its place in the file, for the journal
};

struct Experiment {
  std::string title;
  std::string hypothesis;
  SteadyState steady;
  std::vector<std::string> radius_containers, radius_deployments, radius_proxies;
  int abort_failures_in_a_row = 0;  // 0: never abort
  std::vector<Fault> method;
};

Experiment plan_experiment(const kube::YamlDocuments& docs, const std::string& source);

}  // namespace boxlab::chaos
