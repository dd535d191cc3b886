// One mount operation of a container's rootfs, planned by the parent (mount_plan) and applied
// by the child between clone and exec (apply_mount): plain data, no behaviour.
#pragma once

#include <string>

namespace boxlab::fs {

struct MountOp {
  enum class Kind {
    fs,         // mount(source, target, fstype, flags, data)
    bind,       // bind source (host path) onto target, then apply flags by remount
    mask_file,  // bind /dev/null over target if it exists
    mask_dir,   // read-only empty tmpfs over target if it exists
    readonly,   // bind target onto itself read-only, if it exists
    symlink,    // target -> source
    device,     // create a file at target and bind the host device `source` onto it
    node,       // mknod target (mode, rdev), then chown to uid:gid (linux.devices)
  };
  Kind kind = Kind::fs;
  std::string source;
  std::string target;  // absolute path inside the container
  std::string fstype;
  unsigned long flags = 0;        // MS_* (MS_RDONLY etc. are applied by remount for binds)
  unsigned long propagation = 0;  // set on the mount once made (a mount's propagation option)
  std::string data;
  bool fallback_bind = false;  // fs mount refused with EPERM (user ns): bind `fallback_source`
  std::string fallback_source;
  bool directory = true;   // target kind to create for binds
  unsigned mode = 0;       // node: S_IF* type | permission bits
  unsigned long rdev = 0;  // node: makedev(major, minor)
  unsigned uid = 0, gid = 0;
  // Made once the child is in its cgroup (the parent's go): a cgroup mount, or a bind of the
  // container's cgroup directory, which may not exist before.
  bool needs_cgroup = false;
  bool skip_missing_source = false;  // bind: nothing when the source is gone (no cgroup made)
  std::string description;           // "mount proc on /proc", used in errors
};

}  // namespace boxlab::fs
