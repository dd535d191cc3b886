// What the mount planner needs to know about the host, gathered in one place by the caller so
// the planner itself stays pure (and unit-tested without root or a particular host).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/namespaces.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::fs {

struct HostFacts {
  // /sys/fs/cgroup is a pure cgroup2 mount: a cgroup namespace can mount a fresh view of it.
  bool cgroup2 = false;
  // That view mounted read-write whatever the mount says: the container's cgroup, the root of
  // its cgroup namespace, is delegated to it (`--cgroup-delegate`).
  bool cgroup2_writable = false;
  // The host has /dev/mqueue, bound in when a user namespace cannot mount its own mqueue.
  bool dev_mqueue = false;
  // Per spec mount (same index): for binds, what the source on the host is.
  struct Source {
    int errnum = 0;  // stat's errno; 0 when it exists
    bool directory = false;
  };
  std::vector<Source> bind_sources;
  // cgroup v1 (and hybrid) with a cgroup mount in the spec: each hierarchy as the container
  // sees it under that mount, as runc and crun show it: /sys/fs/cgroup/NAME is the container's
  // own cgroup directory DIR in that hierarchy (bound read-only), and comounted controllers get
  // symlinks (cpu -> cpu,cpuacct). Filled by the runtime, which knows the container's cgroup.
  struct CgroupView {
    std::string name;                // the hierarchy's mount point name: "memory", "systemd"
    std::filesystem::path dir;       // the container's cgroup in it, on the host
    std::vector<std::string> links;  // controllers whose name differs from NAME
    // Bound read-write whatever the mount says: the cgroup is delegated to the container
    // (`--cgroup-delegate`), which makes cgroups below it.
    bool writable = false;
  };
  std::vector<CgroupView> cgroup_v1;
};

// A bind mount's host source: relative paths resolve against the bundle.
std::filesystem::path bind_source(const spec::Mount& m, const std::filesystem::path& bundle);

// Looks only at what the spec's mounts will ask about (no syscall for facts nobody needs).
HostFacts gather_host_facts(const spec::Spec& spec, NsSet new_namespaces,
                            const std::filesystem::path& bundle);

}  // namespace boxlab::fs
