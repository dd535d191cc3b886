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
// its own).
//
// Pure cgroup v2, as the kernel's delegation model has it (cgroup-v2.rst "Delegation"): the
// container's cgroup D (with the container's limits) is the delegated sub-tree. D and its
// cgroup.procs, cgroup.threads and cgroup.subtree_control are chowned to the mapped root; D's
// limit files (memory.max, pids.max) stay root's. "No internal processes": a cgroup that hands
// controllers to its children holds no process, so the container's processes live in the leaf
// D/init (also handed over), and D enables the delegated controllers for its children. The
// container's cgroup namespace must be rooted at D, not D/init (it shows D as /sys/fs/cgroup,
// writable), so the child is cloned into D, unshares its cgroup namespace there, then moves
// itself into D/init and enables the controllers in D (ChildPlan::cgroup_leaf_fd): fds the
// parent opened, so the writes need no permission of the child's. `exec` clones straight into
// D/init. Needs a cgroup and a mount namespace (checked with the flag); with nsdelegate the
// kernel also refuses the container writes to D's own limit files (EPERM).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

// The spec annotation that carries the controllers ("memory,pids").
inline constexpr std::string_view kCgroupDelegateAnnotation = "org.boxlab.cgroup.delegate";

// The controllers a container may be given: those a learner's runtime limits.
const std::vector<std::string>& delegable_controllers();

// Checks LIST (from --cgroup-delegate) against the spec: known controllers, no repeats, a user
// namespace whose root is mapped, and on pure v2 a cgroup and a mount namespace. Throws Error
// naming the flag.
std::string check_cgroup_delegate(const std::vector<std::string>& list, const spec::Spec& spec);

// The controllers the spec's annotation names (empty when none).
std::vector<std::string> delegated_controllers(const spec::Spec& spec);

// The leaf of a delegated v2 cgroup that holds the container's processes.
inline constexpr const char* kDelegatedLeaf = "init";

// What the child does on v2 once in its cgroup namespace: writes "0" to LEAF_PROCS (the leaf's
// cgroup.procs: itself into the leaf), then ENABLE ("+memory +pids") to SUBTREE (D's
// cgroup.subtree_control). Empty on v1.
struct DelegatedLeaf {
  Fd leaf_procs;
  Fd subtree;
  std::string enable;
};

// v1: hands the container's directory in each controller's hierarchy, and its cgroup.procs and
// tasks, to UID:GID. v2: as above (D, its leaf, their process files); returns the fds for the
// child. Throws Error (the container then fails to start) when a controller has no directory
// (v1) or does not reach D (v2).
DelegatedLeaf delegate_cgroup(const cgroup::Cgroup& cg, const std::vector<std::string>& controllers,
                              uid_t uid, gid_t gid);

// The cgroup (as Cgroup::to_json) a process of the container starts in: SAVED itself, or its
// leaf when SPEC delegates a v2 cgroup.
nlohmann::json process_cgroup(const spec::Spec& spec, const nlohmann::json& saved);

}  // namespace boxlab::runtime
