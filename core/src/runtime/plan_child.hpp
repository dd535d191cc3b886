// The child's plan, made from the spec, create's options and what create prepared: pure (the
// host facts come in as arguments), so it is unit-tested without root. The descriptors the
// child uses (sync, report, start, stdio) are added by the clone phase.
#pragma once

#include <filesystem>
#include <string>

#include "boxlab/fs/host_facts.hpp"
#include "boxlab/process/child_plan.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

struct ChildPlanInput {
  const spec::Spec& spec;
  NsSet new_namespaces;
  std::string rootfs;            // host path of the rootfs (mount point or bundle dir)
  std::string overlay_data;      // the overlay the child mounts (mount namespace + image)
  std::filesystem::path bundle;  // relative bind sources resolve against it
  std::string console_path;      // host path of the pty's terminal side, or empty
  int console_fd = -1;           // that terminal, inherited by the child
  bool init = false;             // boxlab's pid 1 forks the command and reaps
  const fs::HostFacts& host;
};

// Throws Error for a spec the host cannot serve (a missing bind source). argv/envp are not
// prepared yet: ChildPlan::finalize() runs once the plan sits where the child will read it.
process::ChildPlan plan_child(const ChildPlanInput& in);

// The readable error for a child's failure report: the mount's description, the command
// that was not found, or the step's name.
std::string describe_failure(const process::Report& r, const process::ChildPlan& plan);

}  // namespace boxlab::runtime
