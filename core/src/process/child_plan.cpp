// The child plan's parent-side helpers: step names for errors, and the execve arrays.
#include "boxlab/process/child_plan.hpp"

#include <unistd.h>

#include "boxlab/error.hpp"
#include "boxlab/process/exec_stub.hpp"
#include "exec_stub/abi.h"

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
      return "unshare the cgroup namespace (delegated: move into its leaf, hand on controllers)";
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
    case Step::wait_start:
      return "wait for start";
    case Step::apply_security:
      return "apply security settings";
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
    case Step::sysctl:
      return "write a sysctl";
    case Step::hooks:
      return "wait for the createRuntime and createContainer hooks";
    case Step::exec_stub:
      return "start boxlab's exec stub (execveat; a seccomp profile must allow it)";
    case Step::personality:
      return "set the personality";
    case Step::close_fds:
      return "close inherited file descriptors";
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
  exec_stub_fd = process::exec_stub_fd();
  static char stub_name[] = BOXLAB_EXEC_STUB_NAME;
  stub_argv = {stub_name, report_fd_text, path_env.data()};
  stub_argv.insert(stub_argv.end(), argv.begin(), argv.end());  // ends with argv's nullptr
  security.seccomp = seccomp_filter ? seccomp_filter->child() : security::SeccompChild{};
}

void ChildPlan::set_user(uid_t uid, gid_t gid, const std::vector<std::uint32_t>& groups) {
  auto& u = security.user;
  constexpr std::size_t max = sizeof u.groups / sizeof u.groups[0];
  if (groups.size() > max)
    throw Error("/process/user/additionalGids: " + std::to_string(groups.size()) +
                " groups, boxlab supports at most " + std::to_string(max));
  u.keep_groups = ::geteuid() != 0;
  if (u.keep_groups && !groups.empty())
    throw Error(
        "/process/user/additionalGids: without root a container has no groups to give "
        "(setgroups is denied in its user namespace)");
  u.change = true;
  u.uid = uid;
  u.gid = gid;
  u.ngroups = static_cast<int>(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) u.groups[i] = groups[i];
}

}  // namespace boxlab::process
