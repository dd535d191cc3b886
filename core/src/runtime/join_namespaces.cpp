#include "join_namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace boxlab::runtime {

JoinedNamespaces JoinedNamespaces::open(const spec::Spec& spec) {
  JoinedNamespaces out;
  for (std::size_t i = 0; i < spec.namespaces.size(); ++i) {
    const auto& ns = spec.namespaces[i];
    if (ns.path.empty()) continue;
    std::string where = "/linux/namespaces/" + std::to_string(i) + "/path";
    std::string kind(ns_oci_name(ns.kind));
    if (ns.kind == NsKind::mount)
      throw Error(where +
                  ": boxlab does not join a mount namespace: the rootfs would be set up and "
                  "pivot_root(2) called inside it, which moves the root of every process "
                  "already living there to this container's rootfs (runc does that; crun "
                  "fails); give the container a mount namespace of its own");
    Fd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error::system(where + ": open " + ns.path);
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0)
      throw Error(where + ": " + ns.path + " is not a namespace (a /proc/PID/ns/" +
                  std::string(ns_proc_name(ns.kind)) + " file or a bind mount of one)");
    if (type != ns_clone_flag(ns.kind))
      throw Error(where + ": " + ns.path + " is not a " + kind + " namespace");
    out.joined_.emplace_back(std::move(fd), ns.kind);
  }
  return out;
}

bool JoinedNamespaces::joins_user() const {
  for (const auto& entry : joined_)
    if (entry.second == NsKind::user) return true;
  return false;
}

int JoinedNamespaces::enter_for_good(NsKind& failed) const noexcept {
  for (bool user_pass : {true, false}) {
    for (const auto& [fd, kind] : joined_) {
      if ((kind == NsKind::user) != user_pass) continue;
      if (::setns(fd.get(), ns_clone_flag(kind)) == 0) continue;
      failed = kind;
      return errno;
    }
  }
  return 0;
}

JoinedNamespaces::Entered JoinedNamespaces::enter() const {
  Entered entered;
  for (const auto& [fd, kind] : joined_) {
    // For pid, setns changes only the namespace this thread's children start in.
    std::string self = kind == NsKind::pid ? "pid_for_children" : std::string(ns_proc_name(kind));
    Fd own(::open(("/proc/thread-self/ns/" + self).c_str(), O_RDONLY | O_CLOEXEC));
    if (!own) throw Error::system("open /proc/thread-self/ns/" + self);
    int flag = ns_clone_flag(kind);
    if (::setns(fd.get(), flag) != 0)
      throw Error::system("join the " + std::string(ns_oci_name(kind)) + " namespace");
    entered.own_.emplace_back(std::move(own), flag);
  }
  return entered;
}

// Without root, boxlab's own --init (pid 1, non-dumpable so that the container cannot reach
// the host's boxlab binary through /proc/1/exe) keeps its /proc/PID/ns from its own user: its
// command, which exec'd and is dumpable again, is in the same namespaces.
pid_t namespace_holder(pid_t pid) {
  if (::geteuid() == 0) return pid;
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  if (::access(ns.c_str(), R_OK) == 0 || errno != EACCES) return pid;
  std::string children;
  try {
    children =
        read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  } catch (const Error&) {
    return pid;
  }
  int child = std::atoi(children.c_str());
  return child > 0 ? child : pid;
}

std::vector<std::pair<Fd, int>> open_namespaces_of(pid_t pid, NsSet always) {
  pid = namespace_holder(pid);
  std::vector<std::pair<Fd, int>> out;
  std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
  for (NsKind kind : kAllNsKinds) {
    if (!always.has(kind) && ns_inode(pid, kind) == ns_inode(::getpid(), kind)) continue;
    Fd fd(::open((proc + std::string(ns_proc_name(kind))).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
      throw Error::system("open the container's " + std::string(ns_oci_name(kind)) + " namespace");
    out.emplace_back(std::move(fd), ns_clone_flag(kind));
  }
  return out;
}

JoinedNamespaces::Entered::~Entered() {
  for (auto it = own_.rbegin(); it != own_.rend(); ++it) {
    if (::setns(it->first.get(), it->second) == 0) continue;
    std::fprintf(stderr, "boxlab: cannot return to its own namespaces: %s\n", std::strerror(errno));
    std::abort();
  }
}

}  // namespace boxlab::runtime
