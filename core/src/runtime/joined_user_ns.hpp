// linux.namespaces[] {"type": "user", "path": ...}: running the container in a user namespace
// that exists already (a pod's infra process, another container's), as runc does.
//
// Two things differ from joining the other kinds. setns(2) into a user namespace takes a
// single-threaded process, and boxlab (the serve engine above all) has threads; and the
// namespaces the container creates must belong to the joined user namespace, so they are made
// by a process inside it. A helper forked for the purpose joins every namespace of the spec
// (the user one first, which grants the rights to join those it owns, in runc's order) and
// clones the container's process as our child (CLONE_PARENT), then exits.
#pragma once

#include <sys/types.h>

#include "boxlab/process/child_plan.hpp"
#include "boxlab/spec.hpp"
#include "join_namespaces.hpp"

namespace boxlab::runtime {

// The joined user namespace's id maps, as this process sees them, in spec.uid_mappings and
// spec.gid_mappings: the container's files and dirs are owned by its root the way they would be
// with those maps given. Maps the bundle gives must be those. No user namespace path: nothing
// happens. Throws Error naming /linux/namespaces/N/path (cannot join it) or /linux/uidMappings.
void adopt_joined_user_maps(spec::Spec& spec);

// The container's first process, cloned inside `joined` (the user namespace included) with the
// namespaces in `flags` new, running process::child_main(plan). Returns its pid and sets *pidfd;
// it is our child, so it is reaped and waited for as any other. Throws Error naming the step.
pid_t clone_in_joined_user_ns(const JoinedNamespaces& joined, unsigned long long flags,
                              const process::ChildPlan& plan, int* pidfd);

}  // namespace boxlab::runtime
