// Everything the cloned child needs, prepared by the parent before clone.
// The child only reads it: between clone and exec it must not allocate or throw
// (it may be a fork of a multi-threaded process, and errors travel over a pipe).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "boxlab/fs/mount_op.hpp"
#include "boxlab/security.hpp"

namespace boxlab::process {

// The child's set-up steps, in the order they run. Each is also a lab stage, so the names
// are what a learner reads in an error: "set up container: pivot_root: EINVAL (...)".
enum class Step : int {
  ready = 0,  // not a failure: "set up and waiting for start" (oci create)
  wait_parent,
  become_root,
  cgroup_ns,
  propagation,
  mount_rootfs,
  open_rootfs,
  mount,  // one of MountOp; `index` says which
  hostname,
  loopback_up,
  pivot_root,
  chroot,
  readonly_root,
  rlimits,
  wait_start,
  apply_security,  // security::apply_in_child; `index` is the security::ChildStep that failed
  chdir_cwd,
  console,
  init_fork,
  exec,
  join_namespace,
  join_root,
  sysctl,     // one of sysctls; `index` says which
  hooks,      // not a failure when errnum is 0: mounts done, waiting while the parent runs hooks
  exec_stub,  // execveat of the sealed exec stub (a seccomp profile may deny execveat)
  close_fds,
  personality,
};
const char* step_name(Step step);

// What the child writes to the report pipe: one record on failure (then exits), or a `ready`
// record when it stops to wait for `start`. EOF without a record means exec succeeded.
struct Report {
  Step step;
  int errnum;
  int index;  // which MountOp for Step::mount, the ChildStep for apply_security, else -1
};

using fs::MountOp;

struct ChildPlan {
  // Namespaces and identity.
  bool user_ns = false;         // a new one: wait for the parent to write its id maps
  bool joined_user_ns = false;  // one that exists (its maps are there)
  bool mount_ns = false;
  bool uts_ns = false;
  bool net_ns = false;
  // Unshared after the parent has moved us into our cgroup, so the namespace's root is the
  // container's own cgroup (clone's CLONE_NEWCGROUP would root it at boxlab's).
  bool cgroup_ns = false;
  // A delegated cgroup on v2 (runtime/cgroup_delegate.hpp), once the cgroup namespace is
  // rooted at it: "0" to cgroup_leaf_fd moves us into its leaf, then cgroup_subtree_enable to
  // cgroup_subtree_fd hands its controllers to its children. -1: nothing to do.
  int cgroup_leaf_fd = -1;
  int cgroup_subtree_fd = -1;
  std::string cgroup_subtree_enable;

  // Root filesystem. With a mount namespace the child mounts it and pivots; without one the
  // parent has mounted it already and the child only chroots (lab 1's "before" picture).
  std::string rootfs;                  // host path of the mount point / bundle rootfs
  std::string overlay_data;            // "lowerdir=..,upperdir=..,workdir=.." or empty for a bind
  unsigned long root_propagation = 0;  // "/" before the mounts: MS_PRIVATE | MS_REC by default
  // linux.rootfsPropagation shared or unbindable: set on the new "/" after pivot_root (a shared
  // parent would make pivot_root fail, so the mounts are made private first).
  unsigned long root_propagation_after = 0;
  bool readonly_root = false;
  std::vector<MountOp> mounts;  // in order, targets inside the container

  std::string hostname;  // set when uts_ns and non-empty

  // linux.sysctl, written through the container's own procfs (verified by fstatfs) once it is
  // mounted and before /proc/sys is made read-only (runc's order). Paths are relative to the
  // rootfs ("proc/sys/net/ipv4/ip_forward"); runtime::plan_sysctls checked them.
  struct Sysctl {
    std::string path;
    std::string value;
  };
  std::vector<Sysctl> sysctls;

  // createRuntime/createContainer hooks: with the mounts done and before pivot_root, the child
  // reports Step::hooks (errnum 0) and waits for a second byte on sync_fd.
  bool pause_before_pivot = false;

  // Process.
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  // cwd without its leading '/', made in the rootfs before pivot_root when missing (a buffer
  // fs::make_cwd works in); empty for "/" or without a mount namespace.
  mutable std::string cwd_in_root;
  mode_t umask = 022;
  long personality = -1;  // linux.personality for personality(2); -1: unchanged
  std::vector<std::pair<int, rlimit>> rlimits;
  // User, groups, no_new_privs, capabilities and seccomp: applied in one step right before exec
  // (runc's order, see security.hpp). The filter is owned here so its program outlives the exec;
  // finalize() points security.seccomp at it.
  security::ChildSecurity security;
  std::optional<security::SeccompFilter> seccomp_filter;
  // security.user from a spec's user; throws for more groups than ChildUser holds.
  void set_user(uid_t uid, gid_t gid, const std::vector<std::uint32_t>& groups);
  bool init = false;  // boxlab's pid 1 forks the command and reaps

  // File descriptors the child uses (all inherited across clone).
  int sync_fd = -1;     // read: one byte from the parent once ids and cgroups are set
  int report_fd = -1;   // write: Report records (close-on-exec)
  int start_fd = -1;    // read: oci create waits here for `start` (a FIFO opened O_RDWR)
  int console_fd = -1;  // the pty's terminal side, made stdin/out/err and controlling tty
  int stdin_fd = -1;    // otherwise: dup2'd onto 0, 1, 2 when set (detached containers)
  int stdout_fd = -1;

  // exec into a running container: setns into these (fd, CLONE_NEW*), user first, then chroot
  // into join_root_fd (the container's /proc/PID/root).
  std::vector<std::pair<int, int>> join_namespaces;
  int join_root_fd = -1;

  // Prepared by finalize(): char* arrays for execve, pointing into args/env.
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string path_env;  // PATH value from env, searched for args[0]
  // The command is exec'd through boxlab's sealed exec stub (exec_stub.hpp): its argv is
  // {name, report fd, PATH, args...}; the child writes the report fd's number into
  // report_fd_text just before the execveat (its own copy of the plan).
  int exec_stub_fd = -1;
  std::vector<char*> stub_argv;
  mutable char report_fd_text[16] = {};
  void finalize();
};

// The child's whole life: runs the steps, then execs. Never returns.
[[noreturn]] void child_main(const ChildPlan& plan) noexcept;

// `boxlab exec`: joins the container's namespaces and root, then forks the command (so it
// lands in the container's pid namespace) and stays as its signal-forwarding parent.
[[noreturn]] void exec_main(const ChildPlan& plan) noexcept;

}  // namespace boxlab::process
