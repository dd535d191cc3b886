// cgroup delegation (`boxlab run --cgroup-delegate memory,pids`): a container whose root is a
// mapped id of its own user namespace gets its own cgroup, in the named controllers, to manage:
// it may make cgroups below it, set their limits and move its processes into them, without real
// root. The grader gives one to the container a learner's `mybox` runs in (docs/grading.md).
//
// cgroup v1 (and hybrid), as systemd's Delegate= does it: the container's directory in each
// named hierarchy and its cgroup.procs and tasks are chowned to the container's mapped root;
// the limit files of that directory stay root's, so the container cannot raise its own limits,
// and cgroups it makes below are charged to it (every v1 hierarchy boxlab uses is hierarchical).
// Its /sys/fs/cgroup/CONTROLLER bind is then writable. The parent directories are never handed
// over, nor visible: a process can only move within the container's own subtree (the kernel
// also wants the writer's uid to own the process, and the container's pid namespace shows only
// its own). Pure cgroup v2 is refused for now (it would need a cgroup namespace and the
// delegate files of cgroup.subtree_control).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

// The spec annotation that carries the controllers ("memory,pids").
inline constexpr std::string_view kCgroupDelegateAnnotation = "org.boxlab.cgroup.delegate";

// The controllers a container may be given: those a learner's runtime limits.
const std::vector<std::string>& delegable_controllers();

// Checks LIST (from --cgroup-delegate) against the spec: known controllers, no repeats, a user
// namespace whose root is mapped. Throws Error naming the flag.
std::string check_cgroup_delegate(const std::vector<std::string>& list, const spec::Spec& spec);

// The controllers the spec's annotation names (empty when none).
std::vector<std::string> delegated_controllers(const spec::Spec& spec);

// Hands the container's directory in each controller's hierarchy, and its cgroup.procs and
// tasks, to UID:GID. Throws Error (the container then fails to start) on v2 or when a
// controller has no directory.
void delegate_cgroup(const cgroup::Cgroup& cg, const std::vector<std::string>& controllers,
                     uid_t uid, gid_t gid);

}  // namespace boxlab::runtime
