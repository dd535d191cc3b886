#include "boxlab/namespaces.hpp"

#include <sched.h>
#include <sys/stat.h>

#include "boxlab/error.hpp"

namespace boxlab {

std::string_view ns_oci_name(NsKind kind) {
  switch (kind) {
    case NsKind::pid:
      return "pid";
    case NsKind::mount:
      return "mount";
    case NsKind::uts:
      return "uts";
    case NsKind::ipc:
      return "ipc";
    case NsKind::net:
      return "network";
    case NsKind::user:
      return "user";
    case NsKind::cgroup:
      return "cgroup";
  }
  return "?";
}

std::string_view ns_proc_name(NsKind kind) {
  switch (kind) {
    case NsKind::pid:
      return "pid";
    case NsKind::mount:
      return "mnt";
    case NsKind::uts:
      return "uts";
    case NsKind::ipc:
      return "ipc";
    case NsKind::net:
      return "net";
    case NsKind::user:
      return "user";
    case NsKind::cgroup:
      return "cgroup";
  }
  return "?";
}

std::optional<NsKind> ns_from_name(std::string_view name) {
  for (NsKind k : kAllNsKinds) {
    if (name == ns_oci_name(k) || name == ns_proc_name(k)) return k;
  }
  if (name == "net") return NsKind::net;
  return std::nullopt;
}

int ns_clone_flag(NsKind kind) {
  switch (kind) {
    case NsKind::pid:
      return CLONE_NEWPID;
    case NsKind::mount:
      return CLONE_NEWNS;
    case NsKind::uts:
      return CLONE_NEWUTS;
    case NsKind::ipc:
      return CLONE_NEWIPC;
    case NsKind::net:
      return CLONE_NEWNET;
    case NsKind::user:
      return CLONE_NEWUSER;
    case NsKind::cgroup:
      return CLONE_NEWCGROUP;
  }
  return 0;
}

NsSet NsSet::all() {
  NsSet s;
  for (NsKind k : kAllNsKinds) s.add(k);
  return s;
}

NsSet NsSet::parse(std::string_view list) {
  NsSet set;
  if (list.empty() || list == "none") return set;
  if (list == "all") return all();
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view word = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (word.empty()) continue;
    auto kind = ns_from_name(word);
    if (!kind) {
      throw Error("unknown namespace '" + std::string(word) +
                  "' (expected pid, mount, uts, ipc, net, user, cgroup, all or none)");
    }
    set.add(*kind);
  }
  return set;
}

int NsSet::clone_flags() const {
  int flags = 0;
  for (NsKind k : kAllNsKinds)
    if (has(k)) flags |= ns_clone_flag(k);
  return flags;
}

std::string NsSet::to_string() const {
  std::string out;
  for (NsKind k : kAllNsKinds) {
    if (!has(k)) continue;
    if (!out.empty()) out += ',';
    out += k == NsKind::net ? "net" : std::string(ns_oci_name(k));
  }
  return out.empty() ? "none" : out;
}

std::optional<std::uint64_t> ns_inode(pid_t pid, NsKind kind) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + std::string(ns_proc_name(kind));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

}  // namespace boxlab
