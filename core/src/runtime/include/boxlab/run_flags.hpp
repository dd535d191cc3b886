// What `boxlab run` (and serve's "run") asks for: plain values, checked and turned into a spec by
// build_run_spec (run_spec.hpp). Kept apart so serve's protocol side can fill it without the
// runtime's headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace boxlab {

struct RunSecurity {
  std::vector<std::string> cap_add;     // --cap-add NAME|ALL
  std::vector<std::string> cap_drop;    // --cap-drop NAME|ALL
  bool privileged = false;              // --privileged: every capability, no seccomp, all devices
  std::string seccomp;                  // --security-opt seccomp=: "" Docker's, "unconfined", FILE
  bool no_new_privileges = false;       // --security-opt no-new-privileges
  bool systempaths_unconfined = false;  // --security-opt systempaths=unconfined: /proc unmasked
};

struct RunFlags {
  std::string name;
  bool remove = false;
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  bool init = false;
  std::string hostname;
  std::optional<std::string> ns;  // --ns LIST; default: all but user
  std::string memory;
  std::string memory_reservation;  // --memory-reservation SIZE: a soft limit (v1 soft_limit)
  std::optional<std::int64_t> pids;
  std::optional<double> cpus;
  std::optional<std::uint64_t> cpu_shares;  // relative weight (v1 cpu.shares, v2 cpu.weight)
  std::string net;                          // "", none, host, bridge
  std::string network;                      // --network NAME (implies bridge)
  std::vector<std::string> publish;         // -p [ADDR:]HOST:CTR (implies bridge)
  std::vector<std::string> volumes;
  std::vector<std::string> env;
  std::string workdir;
  std::string user;
  // --uidmap/--gidmap CONTAINER:HOST:COUNT (repeatable; root only, with a user namespace): the
  // maps in place of the default 0:100000:65536. --gidmap defaults to the --uidmap ranges.
  std::vector<std::string> uidmap;
  std::vector<std::string> gidmap;
  bool read_only = false;
  std::vector<std::string> sysctls;  // --sysctl KEY=VALUE (namespaced keys only)
  // --cgroup-delegate memory,pids: the container's own cgroup in those controllers is handed to
  // its mapped root (runtime/cgroup_delegate.hpp); needs a user namespace.
  std::vector<std::string> cgroup_delegate;
  std::string events;
  std::string log_max;   // --log-max SIZE: cap of a detached container's log
  RunSecurity security;  // capabilities, seccomp, devices, no_new_privs (Docker's defaults)
  std::string pod;       // --pod NAME: join the pod's shared namespaces and cgroup (pod.hpp)
  std::string image;
  // --entrypoint: replaces the image's ENTRYPOINT, and then its CMD is not used either (as
  // Docker; a Kubernetes container's `command`).
  std::optional<std::vector<std::string>> entrypoint;
  std::vector<std::string> command;
};

// The kernel's range for cpu.shares (v2 cpu.weight is mapped from it); 1024 is the default.
inline constexpr std::uint64_t kMinCpuShares = 2;
inline constexpr std::uint64_t kMaxCpuShares = 262144;

}  // namespace boxlab
