// Making the prepared rootfs the container's "/", in the cloned child: allocation-free and
// throw-free; each returns 0 or the errno of the call that failed.
#pragma once

namespace boxlab::fs {

// Mounts the rootfs on itself: an overlay when overlay_data is non-empty, else a recursive
// bind of the directory (a bundle's rootfs), so pivot_root has a mount point to move.
int mount_rootfs(const char* rootfs, const char* overlay_data) noexcept;

// pivot_root(".", ".") from inside rootfd: stacks the old root under the new one, then
// detaches it. Leaves the process in the new "/".
int pivot_to(int rootfd) noexcept;

// Remounts "/" read-only, keeping the flags a user namespace may not drop.
int make_root_readonly() noexcept;

}  // namespace boxlab::fs
