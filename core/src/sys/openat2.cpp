#include "boxlab/sys/openat2.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace boxlab::sys {

int openat2(int dirfd, const char* rel, int flags, unsigned long long resolve) noexcept {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  if (*rel == '\0') rel = ".";
  for (;;) {
    long fd = ::syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
  }
}

}  // namespace boxlab::sys
