// Published ports: a userspace TCP proxy process (one per container) on the host side.
// It accepts on the listening sockets the parent bound, connects to the container's address,
// copies bytes both ways, and exits when the container's first process does.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

namespace boxlab::net {

struct ProxyPlan {
  static constexpr int kMaxPorts = 16;
  int netns_fd = -1;  // host side: where backend connections are made
  int pidfd = -1;     // the container's first process: the proxy exits with it
  int count = 0;
  int listen_fd[kMaxPorts] = {};
  sockaddr_in backend[kMaxPorts] = {};
};

// Forks the proxy (its child code only makes syscalls: no allocation after fork).
// Returns its pid; throws on fork failure.
pid_t spawn_proxy(const ProxyPlan& plan);

}  // namespace boxlab::net
