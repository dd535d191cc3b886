// Starts the grace period that a move into a cgroup waits for, ahead of the move.
#pragma once

#include <optional>

namespace boxlab::cgroup {

// Moving a process into a cgroup (Cgroup::add) first waits for an RCU grace period (6-18 ms
// measured on v1), unless another move happened within about one grace period: the kernel's
// cgroup_threadgroup_rwsem then still is in its slow-reader mode. Every runtime pays it on v1
// and hybrid hosts; on pure v2 a child is cloned straight into its cgroup (CLONE_INTO_CGROUP)
// and there is nothing to wait for.
//
// A primer is a forked process that moves itself into the cgroup it already is in: a no-op
// move that takes the same lock, and so starts the grace period early. It repeats that move
// every millisecond until stopped: a grace period can be short (2-3 ms) and the kernel's lock
// falls back to its fast mode one grace period after the last move, so a single early move
// could leave the container's move to wait a second time. The kernel waits with
// its cgroup_mutex held, so a cgroup mkdir queues behind the primer: the best order is primer
// first (as early as the command is known, see prime_attach), then the parsing, set-up, clone
// and the child's mounts, and the container's cgroup last, right before the move, which then
// finds the grace period passed.
//
// A process, not a thread: the container's child may be cloned while the primer still waits,
// and a fork of a multi-threaded process is only safe when no other thread can hold a libc
// lock. Best effort: nothing fails when priming cannot happen.
class AttachPrimer {
 public:
  // A running primer, or nothing on pure v2 (nothing to prime) or when one cannot start.
  static std::optional<AttachPrimer> start();

  AttachPrimer(AttachPrimer&& other) noexcept;
  AttachPrimer& operator=(AttachPrimer&& other) noexcept;
  AttachPrimer(const AttachPrimer&) = delete;
  AttachPrimer& operator=(const AttachPrimer&) = delete;
  ~AttachPrimer();  // stop()

  // Ends the primer (SIGKILL) and reaps it: right after the container's move, so the kernel's
  // lock returns to its fast mode for everyone else.
  void stop() noexcept;

 private:
  explicit AttachPrimer(int pidfd) : pidfd_(pidfd) {}
  int pidfd_ = -1;
};

// Starts this process's primer now (once): for the first thing a command that will create a
// container does, so the grace period overlaps its parsing too. A primer nobody takes costs a
// fork and is reaped at exit.
void prime_attach();

// The primer prime_attach() started, for Runtime::create to own; nothing if none was started.
std::optional<AttachPrimer> take_primer();

}  // namespace boxlab::cgroup
