#include "plan_child.hpp"

#include <sys/mount.h>

#include <cerrno>

#include "boxlab/fs/mount_plan.hpp"

namespace boxlab::runtime {

namespace {

// linux.rootfsPropagation: a slave "/" is set before the mounts (host mount events then reach
// the container, and a slave is no obstacle to pivot_root); shared and unbindable ones after
// pivot_root on a private tree; private (and the default) before.
void plan_propagation(const std::string& name, process::ChildPlan& plan) {
  unsigned long rec = name.size() > 1 && name[0] == 'r' ? MS_REC : 0;
  std::string base = rec ? name.substr(1) : name;
  plan.root_propagation = MS_REC | MS_PRIVATE;
  if (base == "slave")
    plan.root_propagation = MS_SLAVE | rec;
  else if (base == "shared")
    plan.root_propagation_after = MS_SHARED | rec;
  else if (base == "unbindable")
    plan.root_propagation_after = MS_UNBINDABLE | rec;
  else if (base == "private" && !rec)
    plan.root_propagation_after = MS_PRIVATE;
}

}  // namespace

process::ChildPlan plan_child(const ChildPlanInput& in) {
  const NsSet& ns = in.new_namespaces;
  const auto& spec = in.spec;
  process::ChildPlan plan;
  plan.user_ns = ns.has(NsKind::user) && !in.joined_user_ns;
  plan.joined_user_ns = in.joined_user_ns;
  plan.mount_ns = ns.has(NsKind::mount);
  plan.uts_ns = ns.has(NsKind::uts);
  plan.net_ns = ns.has(NsKind::net);
  plan.cgroup_ns = ns.has(NsKind::cgroup);
  plan_propagation(spec.rootfs_propagation, plan);
  plan.readonly_root = spec.root.readonly;
  // A joined uts namespace gets the hostname too, as runc sets it.
  if (spec.has_namespace(NsKind::uts)) plan.hostname = spec.hostname;
  plan.init = in.init;
  plan.rootfs = in.rootfs;
  if (plan.mount_ns) {
    plan.overlay_data = in.overlay_data;
    plan.mounts = fs::plan_mounts({spec, ns, in.bundle, in.console_path, in.host});
  }
  const auto& proc = spec.process;
  plan.args = proc.args;
  plan.env = proc.env;
  plan.cwd = proc.cwd;
  if (plan.mount_ns && proc.cwd.size() > 1) plan.cwd_in_root = proc.cwd.substr(1);
  if (proc.umask) plan.umask = static_cast<mode_t>(*proc.umask);
  if (spec.personality) plan.personality = static_cast<long>(*spec.personality);
  plan.pause_before_pivot = !spec.hooks.create_runtime.empty() ||
                            !spec.hooks.create_container.empty() || !spec.hooks.prestart.empty();
  plan_security(spec, in.seccomp_cache, plan);
  plan_sysctls(spec, ns, plan);
  plan.console_fd = in.console_fd;
  return plan;
}

std::string describe_failure(const process::Report& r, const process::ChildPlan& plan) {
  using process::Step;
  if (r.step == Step::mount && r.index >= 0 && static_cast<size_t>(r.index) < plan.mounts.size())
    return plan.mounts[static_cast<size_t>(r.index)].description;
  if (r.step == Step::exec) {
    std::string what = "exec '" + plan.args[0] + "'";
    if (r.errnum == ENOENT && plan.args[0].find('/') == std::string::npos)
      what += ": not found in PATH " +
              (plan.path_env.empty() ? std::string("(default)") : plan.path_env);
    return what;
  }
  if (r.step == Step::apply_security)
    return security::child_step_name(static_cast<security::ChildStep>(r.index));
  if (r.step == Step::chdir_cwd) return "chdir to " + plan.cwd;
  if (r.step == Step::sysctl && r.index >= 0 &&
      static_cast<size_t>(r.index) < plan.sysctls.size()) {
    const auto& s = plan.sysctls[static_cast<size_t>(r.index)];
    return "write " + s.value + " to /" + s.path +
           (r.errnum == EXDEV ? " (not on the container's procfs)" : "");
  }
  if (r.step == Step::mount_rootfs) return "mount the root filesystem on " + plan.rootfs;
  return process::step_name(r.step);
}

}  // namespace boxlab::runtime
