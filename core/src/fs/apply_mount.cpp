#include "boxlab/fs/apply_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "open_in_root.hpp"

namespace boxlab::fs {

unsigned long locked_flags(const char* target) noexcept {
  struct statvfs sv;
  if (::statvfs(target, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

namespace {

using K = MountOp::Kind;

int bind_remount(const char* target, unsigned long flags) {
  constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  unsigned long want = flags & kRemountable;
  if (want == 0) return 0;
  if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | want, nullptr) == 0) return 0;
  if (errno != EPERM) return -1;
  return ::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | want | locked_flags(target),
                 nullptr);
}

// Runs op("/proc/self/fd/N") on the mount now on top of `path` inside the rootfs: the fd used
// to make that mount still names the directory it covers, so the new one is looked up again.
// op returns 0 or -1 with errno, and so does this.
template <typename Op>
int on_mount_at(int rootfd, const char* path, Op op) {
  int fd = open_abs_in_root(rootfd, path, O_PATH);
  if (fd < 0) return -1;
  char target[64];
  fd_path(fd, target);
  int rc = op(target);
  int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

int remount_target(int rootfd, const char* path, unsigned long flags) {
  return on_mount_at(rootfd, path,
                     [flags](const char* target) { return bind_remount(target, flags); });
}

// A bind done on the open mount (mount API, 5.12+): clone the source tree detached, set its
// attributes on every mount of the clone (recursively: a read-only `-v` makes its submounts
// read-only too), then attach it on the target fd. Nothing is looked up again by path, and the
// mount is never visible with the wrong attributes. -1 with errno ENOSYS on older kernels.
int bind_tree(int source_dirfd, const char* source, int target_fd, unsigned long flags,
              bool recursive) {
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (*source == '\0') tree_flags |= AT_EMPTY_PATH;
  int tree = ::open_tree(source_dirfd, source, tree_flags);
  if (tree < 0) return -1;
  mount_attr attr{};
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  int rc = 0;
  if (attr.attr_set != 0)
    rc = ::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                         sizeof attr);
  if (rc == 0)
    rc = ::move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int err = errno;
  ::close(tree);
  errno = err;
  return rc;
}

// The bind of `source` (a host path) on op's target: by bind_tree, or mount(2) and a remount
// where the kernel has no mount API.
int bind_source(int rootfd, const char* source, const MountOp& op, unsigned long flags, int fd,
                const char* target) {
  bool recursive = (flags & MS_REC) != 0;
  if (bind_tree(AT_FDCWD, source, fd, flags, recursive) == 0) return 0;
  if (errno != ENOSYS) return -1;
  int rc = ::mount(source, target, nullptr, MS_BIND | (flags & MS_REC), nullptr);
  if (rc == 0) rc = remount_target(rootfd, op.target.c_str(), flags);
  return rc;
}

// readonlyPaths: the path bound on itself, read-only, recursively.
int make_readonly(int rootfd, const MountOp& op, int fd, const char* target) {
  // Read-only only, as runc does: nodev here would make a read-only /dev node unopenable.
  constexpr unsigned long kFlags = MS_RDONLY;
  if (bind_tree(fd, "", fd, kFlags, true) == 0) return 0;
  if (errno != ENOSYS) return -1;
  int rc = ::mount(target, target, nullptr, MS_BIND | MS_REC, nullptr);
  if (rc == 0) rc = remount_target(rootfd, op.target.c_str(), kFlags);
  return rc;
}

// linux.devices: the node, its mode exactly (mknod applies the umask) and its owner.
int apply_node(int rootfd, const MountOp& op) {
  char buf[PATH_MAX];
  const char* name;
  int parent = open_parent(rootfd, op.target.c_str(), buf, &name);
  if (parent < 0) return errno;
  int err = 0;
  ::unlinkat(parent, name, 0);  // replace what the image or /dev had there
  if (::mknodat(parent, name, op.mode, op.rdev) != 0 ||
      ::fchmodat(parent, name, op.mode & 07777, 0) != 0 ||
      ::fchownat(parent, name, op.uid, op.gid, AT_SYMLINK_NOFOLLOW) != 0)
    err = errno;
  ::close(parent);
  return err;
}

// A mount's propagation option, on the mount once made. Returns 0 or an errno.
int set_propagation(int rootfd, const MountOp& op) {
  int rc = on_mount_at(rootfd, op.target.c_str(), [&op](const char* target) {
    return ::mount(nullptr, target, nullptr, op.propagation, nullptr);
  });
  return rc != 0 ? errno : 0;
}

int apply_symlink(int rootfd, const MountOp& op) {
  char buf[PATH_MAX];
  const char* name;
  int parent = open_parent(rootfd, op.target.c_str(), buf, &name);
  if (parent < 0) return errno;
  int rc = ::symlinkat(op.source.c_str(), parent, name);
  int err = errno;
  ::close(parent);
  return rc != 0 && err != EEXIST ? err : 0;
}

// The mount itself, on `target` (/proc/self/fd/N of the opened target `fd`); -1 with errno.
int mount_on(int rootfd, const MountOp& op, int fd, const char* target) {
  int rc = 0;
  switch (op.kind) {
    case K::fs:
      rc = ::mount(op.source.c_str(), target, op.fstype.c_str(), op.flags,
                   op.data.empty() ? nullptr : op.data.c_str());
      if (rc != 0 && (errno == EPERM || errno == EINVAL) && op.fallback_bind) {
        // In a user namespace some filesystems (sysfs without a net ns, proc without a pid
        // ns) cannot be mounted fresh; a recursive bind of the host's is what runc does too.
        rc = bind_source(rootfd, op.fallback_source.c_str(), op, op.flags | MS_REC, fd, target);
      }
      break;
    case K::bind:
    case K::device:
      rc = bind_source(rootfd, op.source.c_str(), op, op.flags, fd, target);
      if (rc != 0 && errno == ENOENT && op.skip_missing_source) rc = 0;
      break;
    case K::mask_file:
      rc = ::mount("/dev/null", target, nullptr, MS_BIND, nullptr);
      break;
    case K::mask_dir: {
      struct stat st;
      if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        rc = ::mount("/dev/null", target, nullptr, MS_BIND, nullptr);
      else
        rc = ::mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0");
      break;
    }
    case K::readonly:
      rc = make_readonly(rootfd, op, fd, target);
      break;
    case K::symlink:
    case K::node:
      break;
  }
  return rc;
}

}  // namespace

int make_cwd(int rootfd, char* rel) noexcept {
  int fd = ensure_dir(rootfd, rel);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

int apply_mount(int rootfd, const MountOp& op) noexcept {
  if (op.kind == K::symlink) return apply_symlink(rootfd, op);
  if (op.kind == K::node) return apply_node(rootfd, op);
  bool optional = op.kind == K::mask_file || op.kind == K::mask_dir || op.kind == K::readonly;
  int fd;
  if (optional) {
    fd = open_abs_in_root(rootfd, op.target.c_str(), O_PATH);
    if (fd < 0 && errno == ENOENT) return 0;  // nothing to mask
  } else {
    fd = open_target(rootfd, op.target.c_str(), op.kind != K::device && op.directory);
  }
  if (fd < 0) return errno;
  char target[64];
  fd_path(fd, target);
  int rc = mount_on(rootfd, op, fd, target);
  int err = errno;
  ::close(fd);
  if (rc != 0) return err;
  if (op.propagation != 0) return set_propagation(rootfd, op);
  return 0;
}

}  // namespace boxlab::fs
