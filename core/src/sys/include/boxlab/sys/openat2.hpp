// The one openat2 wrapper (glibc 2.36 has none): every path we must not follow out of a tree
// (a rootfs, a layer, a container's /proc/PID/root) is opened through it.
#pragma once

#include <linux/openat2.h>

#include <string>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

// Symlinks and ".." stay inside dirfd, as if it were "/" (a container's root).
constexpr unsigned long long kResolveInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
// Never leave dirfd and follow no symlink at all (layers and upper dirs we unpack into).
constexpr unsigned long long kResolveBeneath =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// openat2(dirfd, rel, flags | O_CLOEXEC, resolve); "" opens dirfd itself. Retries EAGAIN (a
// concurrent rename raced the lookup, the kernel asks for a retry). Returns -1 with errno.
// Allocation-free and throw-free: the cloned child calls it between clone and exec.
int openat2(int dirfd, const char* rel, int flags, unsigned long long resolve) noexcept;

// The same, owning the result (invalid with errno set on failure).
inline Fd openat2(int dirfd, const std::string& rel, int flags, unsigned long long resolve) {
  return Fd(openat2(dirfd, rel.c_str(), flags, resolve));
}

}  // namespace boxlab::sys
