// default_spec(): what `boxlab run` starts from before the image and flags are applied.
// Modelled on Docker's defaults (moby oci/defaults.go) and `runc spec`.
#include "boxlab/spec.hpp"

namespace boxlab::spec {

Spec default_spec() {
  Spec s;
  s.process.args = {"sh"};
  s.process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "TERM=xterm"};
  s.process.cwd = "/";
  // No user namespace: it needs id mappings, which `--ns user` (or rootless mode) supplies.
  for (NsKind kind :
       {NsKind::pid, NsKind::net, NsKind::ipc, NsKind::uts, NsKind::mount, NsKind::cgroup}) {
    s.namespaces.push_back({kind, ""});
  }
  s.mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      // Read-only: writes under /sys would reach the host's kernel objects.
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      // The container's own cgroup (its limits and counters) as Docker shows it: a read-only
      // cgroup2 view rooted at it by the cgroup namespace (see fs/mount_plan.cpp for v1).
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
  // Host information and knobs a container should neither read nor write.
  s.masked_paths = {"/proc/asound",
                    "/proc/acpi",
                    "/proc/kcore",
                    "/proc/keys",
                    "/proc/latency_stats",
                    "/proc/timer_list",
                    "/proc/timer_stats",
                    "/proc/sched_debug",
                    "/proc/scsi",
                    "/sys/firmware",
                    "/sys/devices/virtual/powercap"};
  s.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return s;
}

}  // namespace boxlab::spec
