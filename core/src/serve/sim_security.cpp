#include "sim_security.hpp"

#include "boxlab/capabilities.hpp"
#include "boxlab/container.hpp"
#include "boxlab/container_security.hpp"
#include "boxlab/run_security.hpp"
#include "boxlab/sim/machine.hpp"

namespace boxlab::serve {

nlohmann::json sim_container_security(const sim::SimContainer& c) {
  // The spec `boxlab run` writes for a root process with no security flags.
  spec::Spec spec;
  spec.process.user.uid = 0;
  apply_run_security(spec, RunSecurity{});
  // The simulated machine is a root engine's (namespaces, cgroups): apply_run_security gives
  // one the deny-all rule create appends Docker's allow rules to; an engine without root, as
  // this one may be, gets none (it cannot make a device cgroup).
  if (spec.resources.devices.empty())
    spec.resources.devices.push_back({false, 'a', -1, -1, security::kRwm});

  ContainerState state;
  state.name = c.name;
  state.pid = c.init;
  state.spec = spec;
  // Its cgroup as the simulator has it: v2, so the devices are the spec's rules (spec-v2).
  state.cgroup = {{"dirs", {{"unified", "/sys/fs/cgroup/boxlab/" + c.cgroup}}}};
  monitor::SecurityFacts facts = monitor::SecurityReader(state).from_spec();

  // What /proc/PID/status would say of its first process: a root process's sets after exec
  // are those the runtime put in place (no file capabilities, nothing inheritable or ambient).
  if (spec.process.capabilities) {
    security::CapPlan caps = security::from_oci(*spec.process.capabilities, spec.process.user.uid,
                                                "/process/capabilities", facts.last_cap);
    facts.status.bounding = caps.bounding;
    facts.status.permitted = caps.permitted;
    facts.status.effective = caps.effective;
    facts.status.inheritable = caps.inheritable;
    facts.status.ambient = caps.ambient;
  }
  if (!spec.seccomp.empty()) facts.status.seccomp = 2;  // a filter: the profile
  facts.status.no_new_privs = spec.process.no_new_privileges;
  return monitor::to_json(facts);
}

}  // namespace boxlab::serve
