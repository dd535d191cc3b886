// The child plan's parent-side helpers: step names for errors, and the execve arrays.
#include "boxlab/process/child_plan.hpp"

namespace boxlab::process {

const char* step_name(Step step) {
  switch (step) {
    case Step::ready:
      return "ready";
    case Step::wait_parent:
      return "wait for the parent";
    case Step::become_root:
      return "become root in the user namespace";
    case Step::cgroup_ns:
      return "unshare the cgroup namespace";
    case Step::propagation:
      return "make mounts private";
    case Step::mount_rootfs:
      return "mount the root filesystem";
    case Step::open_rootfs:
      return "open the root filesystem";
    case Step::mount:
      return "mount";
    case Step::hostname:
      return "set hostname";
    case Step::loopback_up:
      return "bring up lo";
    case Step::pivot_root:
      return "pivot_root";
    case Step::chroot:
      return "chroot";
    case Step::readonly_root:
      return "make the root read-only";
    case Step::rlimits:
      return "set rlimits";
    case Step::no_new_privs:
      return "set no_new_privs";
    case Step::wait_start:
      return "wait for start";
    case Step::set_groups:
      return "setgroups";
    case Step::set_gid:
      return "setgid";
    case Step::set_uid:
      return "setuid";
    case Step::chdir_cwd:
      return "chdir to the working directory";
    case Step::console:
      return "attach the console";
    case Step::init_fork:
      return "fork the command under init";
    case Step::exec:
      return "exec";
    case Step::join_namespace:
      return "join a namespace of the container";
    case Step::join_root:
      return "enter the container's root";
  }
  return "unknown step";
}

void ChildPlan::finalize() {
  argv.clear();
  envp.clear();
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) {
    envp.push_back(e.data());
    if (e.rfind("PATH=", 0) == 0) path_env = e.substr(5);
  }
  envp.push_back(nullptr);
}

}  // namespace boxlab::process
