// Simulated namespaces: nested pid namespaces that number their own pids from 1, and mount and
// UTS namespaces copied on clone (a mount table and a hostname). Inode numbers are made up but
// stable, in the range the kernel uses (host ones as on a fresh boot).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace boxlab::sim {

using Pid = std::int64_t;

struct PidNs {
  int parent = -1;  // index, -1 for the host's
  int level = 0;
  std::uint64_t inode = 0;
  Pid next = 1;                 // the next number to try (the kernel's idr cursor)
  std::map<Pid, Pid> host_pid;  // pid in this namespace -> host pid
};

struct UtsNs {
  std::uint64_t inode = 0;
  std::string hostname;
};

struct MountNs {
  std::uint64_t inode = 0;
  std::vector<std::string> mounts;  // "TARGET TYPE SOURCE", in mount order
};

// Host inodes that never change, as read on a fresh Linux boot.
inline constexpr std::uint64_t kHostIpcIno = 4026531839, kHostNetIno = 4026531840,
                               kHostUserIno = 4026531837, kHostCgroupIno = 4026531835;

class Namespaces {
 public:
  Namespaces();  // the host's pid, mount and uts namespaces (index 0 of each)
  std::vector<PidNs> pid;
  std::vector<UtsNs> uts;
  std::vector<MountNs> mnt;

  int new_pid_ns(int parent);
  int copy_uts(int from);
  int copy_mnt(int from);
  // The next free number in `ns` for host pid `host` (wraps at pid_max like the kernel).
  Pid alloc(int ns, Pid host);
  void release(int ns, Pid nspid);
  // The chain from the host's namespace down to `ns`.
  std::vector<int> chain(int ns) const;
  // An inode for a namespace kept elsewhere (a network namespace: sim/network.hpp).
  std::uint64_t new_inode() { return next_inode_++; }

  nlohmann::json to_json() const;
  static Namespaces from_json(const nlohmann::json& j);

 private:
  std::uint64_t next_inode_ = 4026532200;
};

}  // namespace boxlab::sim
