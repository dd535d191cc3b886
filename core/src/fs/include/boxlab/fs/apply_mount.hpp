// Applies one planned MountOp inside the rootfs, in the cloned child: allocation-free and
// throw-free. Targets are resolved with open_in_root and mounted through /proc/self/fd/N.
#pragma once

#include "boxlab/fs/mount_op.hpp"

namespace boxlab::fs {

// 0 on success (or nothing to do: a masked or read-only path that does not exist), else the
// errno of the step that failed.
int apply_mount(int rootfd, const MountOp& op) noexcept;

// process.cwd made inside the rootfs when missing, as runc does (directories 0755, resolved in
// the root); `rel` is the path without its leading '/', a buffer restored before returning.
// Returns 0 or an errno.
int make_cwd(int rootfd, char* rel) noexcept;

// The flags a bind remount must keep (nosuid, nodev, noexec, ro of the mount at `target`), or
// the kernel refuses it inside a user namespace.
unsigned long locked_flags(const char* target) noexcept;

}  // namespace boxlab::fs
