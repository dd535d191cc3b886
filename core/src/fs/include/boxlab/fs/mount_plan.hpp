// Turns a spec's mounts, default devices, masked and read-only paths into the child's list of
// mount operations (the child executes them between clone and exec).
#pragma once

#include <filesystem>
#include <string>

#include "boxlab/process/child_plan.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::fs {

struct MountPlanInput {
  const spec::Spec& spec;
  NsSet new_namespaces;
  std::filesystem::path bundle;  // relative bind sources resolve against it
  std::string console_path;      // host path of the pty's terminal side, bound to /dev/console
};

void plan_mounts(const MountPlanInput& in, process::ChildPlan& plan);

// Splits OCI mount options into MS_* flags and the fs-specific data string.
struct ParsedOptions {
  unsigned long flags = 0;
  std::string data;
  bool bind = false;
  bool recursive = false;
};
ParsedOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace boxlab::fs
