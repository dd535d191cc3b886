// What the container's first process applies between clone and exec, as one plain struct
// (ChildSecurity) the parent fills in and one call (apply_in_child) that never allocates or
// throws. A failure comes back as (step, errno), like the other child steps.
//
// Parent, before clone (spec field -> what to precompute):
//   process.capabilities / --cap-add --cap-drop --privileged -u  -> caps      (capabilities.hpp)
//   linux.seccomp / --security-opt seccomp=...|unconfined        -> a SeccompFilter kept alive
//       by the parent until exec; seccomp = filter.child()       (seccomp.hpp)
//   process.noNewPrivileges / --security-opt no-new-privileges  -> no_new_privs
//   process.user uid/gid/additionalGids / -u                     -> user
//   linux.resources.devices (+ Docker's defaults)                -> devices.hpp, in the PARENT
//       on the container's cgroup (v1 rules or the v2 program), not here.
// Child, in this order (runc's): every mount and pivot_root first, then apply_in_child(),
// then execve with nothing in between:
//   1. prctl(PR_SET_NO_NEW_PRIVS)            if no_new_privs
//   2. seccomp                                if !no_new_privs: the kernel wants CAP_SYS_ADMIN
//                                             for a filter without no_new_privs, so load it
//                                             while we still have it
//   3. caps_before_setuid                     drop the bounding set, PR_SET_KEEPCAPS
//   4. setgroups, setresgid, setresuid        if user.change
//   5. caps_after_setuid                      capset, ambient, keepcaps off
//   6. seccomp                                if no_new_privs: as late as possible, so the
//                                             filter sees only the container's own syscalls
#pragma once

#include <sys/types.h>

#include "boxlab/capabilities.hpp"
#include "boxlab/seccomp.hpp"

namespace boxlab::security {

struct ChildUser {
  bool change = false;  // false: keep the current ids (root in the container)
  uid_t uid = 0;
  gid_t gid = 0;
  int ngroups = 0;  // additional groups; setgroups(0) clears the inherited ones
  gid_t groups[64] = {};
  // Rootless: setgroups is denied in the container's user namespace (the parent had to, to
  // write its gid_map), and the groups it has are none the namespace maps.
  bool keep_groups = false;
};

struct ChildSecurity {
  bool no_new_privs = false;
  bool apply_caps = true;  // false: leave the capability sets alone (the "before" labs)
  CapPlan caps;
  SeccompChild seccomp;  // filter == nullptr: unconfined
  ChildUser user;
};

enum class ChildStep {
  none,
  no_new_privs,
  seccomp_early,
  cap_bounding,
  setgroups,
  setgid,
  setuid,
  cap_sets,
  seccomp,
};
// "set no_new_privs", "drop the bounding set", ...: for the parent's Error.
const char* child_step_name(ChildStep step) noexcept;

// 0 on success; else the errno, with *failed set to the step. Never allocates or throws.
int apply_in_child(const ChildSecurity& plan, ChildStep* failed) noexcept;

}  // namespace boxlab::security
