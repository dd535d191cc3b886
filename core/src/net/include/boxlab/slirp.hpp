// Outbound networking without a bridge: slirp4netns (Debian package slirp4netns) gives the
// container's network namespace a tap device, tap0, whose traffic it carries through sockets it
// opens in the host-side network namespace. No root is needed: this is how a rootless
// container reaches the outside (`run --net slirp4netns`), as with rootless Podman.
//
// The container is 10.0.2.100/24, its gateway 10.0.2.2 and its DNS forwarder 10.0.2.3.
// Connections to the host's own loopback (127.0.0.1 through 10.0.2.2) are refused: a container
// must not reach what listens only there (published ports, an X server, the engine's socket).
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace boxlab::net {

inline constexpr const char* kSlirp4netns = "/usr/bin/slirp4netns";
inline constexpr const char* kSlirpAddress = "10.0.2.100";
inline constexpr const char* kSlirpDns = "10.0.2.3";

struct SlirpPlan {
  pid_t pid = -1;             // the container's first process, in its network namespace
  int pidfd = -1;             // the same: slirp4netns ends when it exits
  bool own_userns = false;    // the network namespace belongs to the container's user namespace
  std::filesystem::path log;  // slirp4netns's own output, for the error when it fails
};

// Throws, naming the package, when slirp4netns is not installed.
void require_slirp4netns();

// Starts slirp4netns for the plan's network namespace through a keeper process (nobody's child
// to reap) that ends it when the container's first process exits; returns once tap0 is up
// and configured. Throws with slirp4netns's own words when it fails. Sockets are opened in
// the host-side network namespace (host_netns(): BOXLAB_NET_NS when set).
void start_slirp4netns(const SlirpPlan& plan);

}  // namespace boxlab::net
