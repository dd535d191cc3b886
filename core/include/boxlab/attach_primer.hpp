// Starts the grace period that a move into a cgroup waits for, ahead of the move.
#pragma once

namespace boxlab::cgroup {

// Moving a process into a cgroup (Cgroup::add) first waits for an RCU grace period (several ms),
// unless another move happened within about one grace period: the kernel's
// cgroup_threadgroup_rwsem then still is in its slow-reader mode. The wait happens with the
// kernel's cgroup_mutex held, so mkdir of a cgroup queues behind it: make the container's cgroup
// first, then an AttachPrimer, then everything else (set-up, clone, the child's mounts) overlaps
// the wait, and the real move finds it passed.
//
// The primer is a forked process that moves itself into the cgroup it already is in (a no-op
// move that takes the same lock). A process, not a thread: the container's child may be cloned
// while the primer still waits, and a fork of a multi-threaded process is only safe when no
// other thread can hold a libc lock. Best effort: nothing fails when priming cannot happen.
class AttachPrimer {
 public:
  AttachPrimer();
  ~AttachPrimer();  // reaps the primer
  AttachPrimer(const AttachPrimer&) = delete;
  AttachPrimer& operator=(const AttachPrimer&) = delete;

 private:
  int pidfd_ = -1;
};

}  // namespace boxlab::cgroup
