#include "boxlab/fs/pivot.hpp"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/fs/apply_mount.hpp"

namespace boxlab::fs {

int mount_rootfs(const char* rootfs, const char* overlay_data) noexcept {
  int rc = *overlay_data ? ::mount("overlay", rootfs, "overlay", 0, overlay_data)
                         : ::mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr);
  return rc == 0 ? 0 : errno;
}

int pivot_to(int rootfd) noexcept {
  if (::fchdir(rootfd) != 0) return errno;
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  if (::umount2(".", MNT_DETACH) != 0) return errno;
  if (::chdir("/") != 0) return errno;
  return 0;
}

int make_root_readonly() noexcept {
  constexpr unsigned long kRo = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (::mount(nullptr, "/", nullptr, kRo, nullptr) == 0) return 0;
  if (::mount(nullptr, "/", nullptr, kRo | locked_flags("/"), nullptr) == 0) return 0;
  return errno;
}

}  // namespace boxlab::fs
