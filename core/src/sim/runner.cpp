#include "boxlab/sim/runner.hpp"

#include <algorithm>
#include <cmath>

#include "boxlab/error.hpp"

namespace boxlab::sim {

namespace {

Time ns_of(double seconds) {
  return static_cast<Time>(std::llround(seconds * 1e9));
}

struct Action {
  Time at;
  int order;  // starts before faults at the same time, each in file order
  std::function<void(Machine&)> apply;
};

}  // namespace

Machine run_scenario(const Scenario& s, const Machine::Sink& sink, const Pace& pace) {
  Machine m(s.seed, s.cpus);
  m.set_sink(sink);
  std::vector<Action> actions;
  int order = 0;
  for (const auto& c : s.containers)
    actions.push_back({ns_of(c.start_s), order++, [c](Machine& mm) { mm.run(c); }});
  for (const auto& f : s.faults) {
    actions.push_back({ns_of(f.at_s), order++, [f](Machine& mm) {
                         auto it = mm.containers.find(f.container);
                         if (it == mm.containers.end() || it->second.status != "running") return;
                         if (f.action == "kill") mm.kill(f.container, f.signal);
                         if (f.action == "oom") mm.allocate(f.container, f.bytes);
                         if (f.action == "exit") mm.exit_init(f.container, 0);
                       }});
  }
  std::stable_sort(actions.begin(), actions.end(),
                   [](const Action& a, const Action& b) { return a.at < b.at; });
  const Time sample = ns_of(s.sample_s);
  const Time end = ns_of(s.duration_s);
  size_t next = 0;
  while (true) {
    while (next < actions.size() && actions[next].at <= m.now()) actions[next++].apply(m);
    if (m.now() >= end) break;
    Time target = std::min(end, (m.now() / sample + 1) * sample);
    if (next < actions.size()) target = std::min(target, actions[next].at);
    m.advance_to(target, sample);
    if (pace) pace(m.now());
  }
  return m;
}

}  // namespace boxlab::sim
