// Namespace kinds, their names (as in OCI, /proc/PID/ns and `--ns`), clone flags and identities.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab {

enum class NsKind { pid, mount, uts, ipc, net, user, cgroup };

inline constexpr std::array<NsKind, 7> kAllNsKinds = {NsKind::user,  NsKind::pid, NsKind::mount,
                                                      NsKind::uts,   NsKind::ipc, NsKind::net,
                                                      NsKind::cgroup};

// OCI / --ns name: "pid", "mount", "uts", "ipc", "network", "user", "cgroup".
std::string_view ns_oci_name(NsKind kind);
// Name of the file under /proc/PID/ns: "pid", "mnt", "uts", "ipc", "net", "user", "cgroup".
std::string_view ns_proc_name(NsKind kind);
// Accepts OCI names plus the short /proc names ("mnt", "net") used by `--ns`.
std::optional<NsKind> ns_from_name(std::string_view name);
int ns_clone_flag(NsKind kind);

// A set of namespace kinds, e.g. what a container unshares.
class NsSet {
 public:
  NsSet() = default;
  static NsSet all();
  // Parses "pid,mount,uts"; "" and "none" mean the empty set, "all" every kind.
  static NsSet parse(std::string_view list);  // throws Error naming the bad word
  void add(NsKind k) { bits_ |= bit(k); }
  void remove(NsKind k) { bits_ &= ~bit(k); }
  bool has(NsKind k) const { return (bits_ & bit(k)) != 0; }
  bool empty() const { return bits_ == 0; }
  int clone_flags() const;
  std::string to_string() const;  // "pid,mount,..." in kAllNsKinds order, "none" when empty
  bool operator==(const NsSet&) const = default;

 private:
  static unsigned bit(NsKind k) { return 1u << static_cast<unsigned>(k); }
  unsigned bits_ = 0;
};

// Inode of /proc/PID/ns/KIND (the namespace's identity), or nullopt if the process is gone.
std::optional<std::uint64_t> ns_inode(pid_t pid, NsKind kind);

}  // namespace boxlab
