// The child's security steps in runc's order (see security.hpp for why this order).
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/security.hpp"

namespace boxlab::security {

const char* child_step_name(ChildStep step) noexcept {
  switch (step) {
    case ChildStep::none:
      return "none";
    case ChildStep::no_new_privs:
      return "set no_new_privs";
    case ChildStep::seccomp_early:
    case ChildStep::seccomp:
      return "load the seccomp filter";
    case ChildStep::cap_bounding:
      return "drop the capability bounding set";
    case ChildStep::setgroups:
      return "setgroups";
    case ChildStep::setgid:
      return "setgid";
    case ChildStep::setuid:
      return "setuid";
    case ChildStep::cap_sets:
      return "set capabilities";
  }
  return "security step";
}

int apply_in_child(const ChildSecurity& plan, ChildStep* failed) noexcept {
  auto fail = [&](ChildStep step, int err) {
    if (failed) *failed = step;
    return err ? err : EINVAL;
  };
  if (failed) *failed = ChildStep::none;
  if (plan.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(ChildStep::no_new_privs, errno);
  if (!plan.no_new_privs)
    if (int err = seccomp_load(plan.seccomp)) return fail(ChildStep::seccomp_early, err);
  if (plan.apply_caps)
    if (int err = caps_before_setuid(plan.caps)) return fail(ChildStep::cap_bounding, err);
  if (plan.user.change) {
    // Raw syscalls: glibc's wrappers would broadcast to other threads (there are none here).
    if (!plan.user.keep_groups && syscall(SYS_setgroups, plan.user.ngroups, plan.user.groups) != 0)
      return fail(ChildStep::setgroups, errno);
    if (syscall(SYS_setresgid, plan.user.gid, plan.user.gid, plan.user.gid) != 0)
      return fail(ChildStep::setgid, errno);
    if (syscall(SYS_setresuid, plan.user.uid, plan.user.uid, plan.user.uid) != 0)
      return fail(ChildStep::setuid, errno);
  }
  if (plan.apply_caps)
    if (int err = caps_after_setuid(plan.caps)) return fail(ChildStep::cap_sets, err);
  if (plan.no_new_privs)
    if (int err = seccomp_load(plan.seccomp)) return fail(ChildStep::seccomp, err);
  return 0;
}

}  // namespace boxlab::security
