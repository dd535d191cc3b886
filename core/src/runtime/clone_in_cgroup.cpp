#include "clone_in_cgroup.hpp"

#include "boxlab/sys/syscalls.hpp"

namespace boxlab::runtime {

Cloned clone_in_cgroup(unsigned long long flags, int* pidfd, const cgroup::Cgroup* cgroup) {
  if (cgroup) {
    if (Fd target = cgroup->clone_target()) {
      pid_t pid = sys::clone_with_pidfd(flags, pidfd, target.get());
      if (pid >= 0) return {pid, true};
      // Refused (EINVAL/ENOSYS on old kernels, EBUSY for a cgroup with children, EOPNOTSUPP for
      // a threaded one): the plain clone below and a move do the same, only slower.
    }
  }
  return {sys::clone_with_pidfd(flags, pidfd), false};
}

}  // namespace boxlab::runtime
