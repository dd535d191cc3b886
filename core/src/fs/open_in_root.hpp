// Safe path resolution inside a container's rootfs for the cloned child: every lookup goes
// through openat2 RESOLVE_IN_ROOT, so no symlink or ".." in the image can reach the host.
// Allocation-free and throw-free (fixed buffers); failures return -1 with errno set.
#pragma once

#include <climits>
#include <cstddef>

namespace boxlab::fs {

// Bounded copy of a + b into buf; false when it does not fit.
bool copy_into(char* buf, size_t size, const char* a, const char* b = nullptr) noexcept;

// "/proc/self/fd/N": how mount(2) reaches a target we resolved safely as an O_PATH fd.
void fd_path(int fd, char (&buf)[64]) noexcept;

// Opens `rel` (relative, inside the rootfs; "" is the root) without leaving it.
int open_in_root(int rootfd, const char* rel, int flags) noexcept;

// The same for an absolute container path ("/dev/null").
int open_abs_in_root(int rootfd, const char* path, int flags) noexcept;

// Opens directory `rel` inside the rootfs, creating missing components one at a time.
// `rel` is a mutable buffer; it is restored before returning.
int ensure_dir(int rootfd, char* rel) noexcept;

// Splits absolute container path `path` into its parent dir fd (created if needed) and its
// last component (pointing into buf).
int open_parent(int rootfd, const char* path, char (&buf)[PATH_MAX], const char** name) noexcept;

// Opens a mount target as O_PATH, creating it as a directory or an empty file when missing.
int open_target(int rootfd, const char* path, bool directory) noexcept;

}  // namespace boxlab::fs
