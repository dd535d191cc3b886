// Thin wrappers for syscalls glibc 2.36 does not wrap (clone3, pidfd_*).
#pragma once

#include <sys/types.h>

#include <optional>

namespace boxlab::sys {

// clone3 without a new stack (fork semantics) into the namespaces in `flags`, returning a
// pidfd in *pidfd. Returns 0 in the child, the child's pid in the parent, -1 with errno.
// cgroup_fd >= 0 (a cgroup v2 directory): the child starts in that cgroup (CLONE_INTO_CGROUP).
pid_t clone_with_pidfd(unsigned long long flags, int* pidfd, int cgroup_fd = -1);
// clone3 with CLONE_PARENT (fork semantics, no pidfd): the child is our parent's, with our own
// exit signal. Returns 0 in the child, its pid here, -1 with errno.
pid_t clone_as_sibling(unsigned long long flags);
int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
// Waits until the process behind pidfd exits; with timeout_ms >= 0 gives up after that long.
bool pidfd_wait_exit(int pidfd, int timeout_ms);
// Reaps our child behind pidfd; the exit code, or 128+signal. nullopt when not ready (nohang).
std::optional<int> pidfd_reap(int pidfd, bool nohang = false);

}  // namespace boxlab::sys
