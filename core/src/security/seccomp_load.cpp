// Child side of seccomp: one syscall on the program the parent compiled; no allocation.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/seccomp.hpp"

namespace boxlab::security {

int seccomp_load(const SeccompChild& child) noexcept {
  if (!child.filter || child.len == 0) return 0;
  sock_fprog prog{child.len, const_cast<sock_filter*>(child.filter)};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, child.flags, &prog) == 0) return 0;
  // Kernels before 3.17 have only the prctl form (and no flags).
  if (errno == ENOSYS && child.flags == 0 &&
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
    return 0;
  return errno;
}

}  // namespace boxlab::security
