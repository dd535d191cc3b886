// `boxlab run`'s confinement, Docker's defaults and flags, written into the container's spec
// as a bundle would carry them (process.capabilities, noNewPrivileges, linux.seccomp,
// linux.resources.devices), so create, exec and inspect treat both alike.
#pragma once

#include <string>
#include <vector>

#include "boxlab/run_flags.hpp"
#include "boxlab/spec.hpp"

namespace boxlab {

// Docker's 14 capabilities (none effective for a non-root process.user), Docker's default
// seccomp profile, Docker's device rules (as root; a rootless engine cannot make a device
// cgroup) and the flags on top. Call after process.user is final. Throws Error naming the flag
// for an unknown capability or a bad profile FILE.
void apply_run_security(spec::Spec& spec, const RunSecurity& flags);

}  // namespace boxlab
