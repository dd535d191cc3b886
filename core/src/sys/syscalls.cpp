#include "boxlab/sys/syscalls.hpp"

#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace boxlab::sys {

pid_t clone_with_pidfd(unsigned long long flags, int* pidfd, int cgroup_fd) {
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<unsigned long long>(cgroup_fd);
  }
  args.pidfd = reinterpret_cast<unsigned long long>(pidfd);
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

pid_t clone_as_sibling(unsigned long long flags) {
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PARENT;
  args.exit_signal = 0;  // clone3 refuses one with CLONE_PARENT: the child takes ours
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

bool pidfd_wait_exit(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::optional<int> pidfd_reap(int pidfd, bool nohang) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int options = WEXITED | (nohang ? WNOHANG : 0);
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, options) != 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (info.si_pid == 0) return std::nullopt;
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

}  // namespace boxlab::sys
