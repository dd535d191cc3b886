// Turns a spec's mounts, default devices, masked and read-only paths into the child's list of
// mount operations (the child executes them between clone and exec). Pure: what it needs to
// know about the host comes in as HostFacts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/fs/host_facts.hpp"
#include "boxlab/fs/mount_op.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::fs {

struct MountPlanInput {
  const spec::Spec& spec;
  NsSet new_namespaces;
  std::filesystem::path bundle;  // relative bind sources resolve against it
  std::string console_path;      // host path of the pty's terminal side, bound to /dev/console
  const HostFacts& host;
};

// Throws Error naming the spec mount (/mounts/N/source) whose bind source is missing.
std::vector<MountOp> plan_mounts(const MountPlanInput& in);

// Splits OCI mount options into MS_* flags and the fs-specific data string.
struct ParsedOptions {
  unsigned long flags = 0;
  std::string data;
  bool bind = false;
  bool recursive = false;
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
};
ParsedOptions parse_mount_options(const std::vector<std::string>& options);

// A spec mount that binds a host path (a "bind" option or type).
bool is_bind(const spec::Mount& m);

}  // namespace boxlab::fs
