// The child's plan, made from the spec, create's options and what create prepared: pure (the
// host facts come in as arguments), so it is unit-tested without root. The descriptors the
// child uses (sync, report, start, stdio) are added by the clone phase.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/fs/host_facts.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/process/child_plan.hpp"
#include "boxlab/runtime/device_rules.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

struct ChildPlanInput {
  const spec::Spec& spec;
  NsSet new_namespaces;      // with user when a user namespace is joined (mounts as in a new one)
  std::string rootfs;        // host path of the rootfs (mount point or bundle dir)
  std::string overlay_data;  // the overlay the child mounts (mount namespace + image)
  std::filesystem::path bundle;  // relative bind sources resolve against it
  std::string console_path;      // host path of the pty's terminal side, or empty
  int console_fd = -1;           // that terminal, inherited by the child
  bool init = false;             // boxlab's pid 1 forks the command and reaps
  const fs::HostFacts& host;
  std::filesystem::path seccomp_cache;  // compiled filters by digest; empty: no cache
  bool joined_user_ns = false;          // linux.namespaces[] has a user namespace by path
};

// Throws Error for a spec the host cannot serve (a missing bind source). argv/envp are not
// prepared yet: ChildPlan::finalize() runs once the plan sits where the child will read it.
process::ChildPlan plan_child(const ChildPlanInput& in);

// The spec's process.user, noNewPrivileges, capabilities and rlimits and linux.seccomp into the
// plan (create and exec share it, so an exec'd process is confined like the first one). The
// seccomp profile is compiled here, or read from `seccomp_cache`. Errors name the JSON pointer.
// Without process.capabilities the capability sets are left as they are (today's `run`).
void plan_security(const spec::Spec& spec, const std::filesystem::path& seccomp_cache,
                   process::ChildPlan& plan);

// Where compiled seccomp filters are kept (state dir: a cache, fine to lose at reboot).
inline std::filesystem::path seccomp_cache_dir(const Paths& paths) {
  return paths.state / "cache" / "seccomp";
}

// The container's cgroup, below boxlab's own: linux.cgroupsPath (a name or a relative path below
// boxlab's own cgroup, or an absolute path from each hierarchy's root, as runc reads them, which
// must still be below boxlab's own), else boxlab-NAME-XXXXXX. Throws Error naming
// /linux/cgroupsPath for a malformed path or one outside boxlab's cgroup.
std::string container_cgroup_name(const std::string& cgroups_path, const std::string& name);

// A spec with a cgroup mount on a v1 or hybrid host: each v1 hierarchy as the container sees it
// below that mount (its cgroup CGROUP_NAME in it). Empty without a cgroup mount or on pure v2.
std::vector<fs::HostFacts::CgroupView> cgroup_v1_views(const spec::Spec& spec,
                                                       const std::string& cgroup_name);

// linux.sysctl into plan.sysctls (paths under the rootfs's proc/sys): only keys of a namespace
// the container has of its own, and only with a mount namespace (the child writes them through
// the container's own procfs). Throws Error naming /linux/sysctl/KEY.
void plan_sysctls(const spec::Spec& spec, const NsSet& ns, process::ChildPlan& plan);

// The readable error for a child's failure report: the mount's description, the command
// that was not found, or the step's name.
std::string describe_failure(const process::Report& r, const process::ChildPlan& plan);

}  // namespace boxlab::runtime
