// AttachPrimer: see attach_primer.hpp. Writing "0" to a cgroup.procs file moves the writing
// process; into the cgroup it already occupies, that changes nothing but takes the same lock a
// real move takes, whose first taker waits for the grace period.
#include "boxlab/attach_primer.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "boxlab/cgroup.hpp"

namespace boxlab::cgroup {
namespace {

// Our own cgroup.procs in a hierarchy where our cgroup is not the root: never at a root.
std::filesystem::path own_procs_file() {
  Placement here = locate();
  // Only a hierarchy's root has these: v1 cgroup.sane_behavior, v2 no cgroup.type.
  if (here.layout == Layout::v2)
    return ::access((here.unified / "cgroup.type").c_str(), F_OK) == 0
               ? here.unified / "cgroup.procs"
               : std::filesystem::path();
  for (const auto& [controller, dir] : here.v1)
    if (::access((dir / "cgroup.sane_behavior").c_str(), F_OK) != 0) return dir / "cgroup.procs";
  return {};
}

}  // namespace

AttachPrimer::AttachPrimer() {
  std::filesystem::path file;
  try {
    file = own_procs_file();
  } catch (...) {
    return;
  }
  if (file.empty()) return;
  const char* path = file.c_str();  // computed before the fork: the child only makes syscalls
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<unsigned long long>(&pidfd_);
  args.exit_signal = 0;  // no SIGCHLD: a caller's SIGCHLD handling never sees the primer
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    ssize_t written = fd >= 0 ? ::write(fd, "0", 1) : -1;
    ::_exit(written == 1 ? 0 : 1);  // nobody reads the status: priming is best effort
  }
  if (pid < 0) pidfd_ = -1;
}

AttachPrimer::~AttachPrimer() {
  if (pidfd_ < 0) return;
  siginfo_t info;
  // __WALL: the primer sends no exit signal, so it counts as a "clone" child.
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info,
                  WEXITED | __WALL) != 0 &&
         errno == EINTR) {
  }
  ::close(pidfd_);
}

}  // namespace boxlab::cgroup
