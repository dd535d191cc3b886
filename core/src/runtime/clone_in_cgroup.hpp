// Starting a container's (or an exec's) process in the container's cgroup.
#pragma once

#include <sys/types.h>

#include <optional>

#include "boxlab/cgroup.hpp"

namespace boxlab::runtime {

struct Cloned {
  pid_t pid = -1;       // 0 in the child, -1 with errno on failure
  bool placed = false;  // already in the cgroup: no Cgroup::add needed
};

// clone3 with a pidfd into the namespaces in `flags`. On pure cgroup v2 the child starts in
// `cgroup` (CLONE_INTO_CGROUP); when that is not possible (v1, hybrid, a kernel without it, a
// cgroup that refuses it) it starts where we are and the caller must add() it.
Cloned clone_in_cgroup(unsigned long long flags, int* pidfd, const cgroup::Cgroup* cgroup);

}  // namespace boxlab::runtime
