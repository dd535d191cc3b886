// The device rules a container's cgroup gets, shared by create (which applies them) and the
// monitor (which shows them where cgroup v2 cannot read a BPF program back as rules).
#pragma once

#include <vector>

#include "boxlab/devices.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

// The spec's rules, then the devices every container has (Docker's allow rules: null, zero,
// full, random, urandom, tty, console, ptmx, pts, mknod), as runc and crun append theirs, so
// `runc spec`'s lone "deny all" still leaves /dev/null. Empty when the spec has none (no
// device cgroup).
std::vector<security::DeviceRule> container_device_rules(const spec::Spec& spec);

}  // namespace boxlab::runtime
