// The simulated machine's network: networks (a bridge, a subnet and the real allocator's
// leases, net::Network itself), each container's network namespace of its own, and what joins
// them (net::Attachment: a veth into the bridge, eth0, an address). The names and numbers are
// the real runtime's (boxlab/net.hpp: the default network boxlab0 on 10.88.0.0/24, bridge
// boxlab0, other networks on 10.89.N.0/24 with a bl-XXXXXXXX bridge, veth ends vethXXXXXXXX);
// what the real runtime draws at random is drawn from the container's id here, so one seed
// gives one picture. The simulated host has lo, eth0 (10.0.2.15/24, as a QEMU guest's) and
// the bridges; it forwards nothing between them (ip_forward 0, as on a fresh boot).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/net.hpp"

namespace boxlab::sim {

inline constexpr const char* kHostEth0 = "10.0.2.15";
inline constexpr int kHostEth0Prefix = 24;
inline constexpr const char* kHostGateway = "10.0.2.2";

// A container's own network namespace: lo, and with an attachment eth0 on a bridge.
struct NetNs {
  std::uint64_t inode = 0;
  std::optional<net::Attachment> attachment;
  int veth_index = 0;  // the host end's ifindex on the host side
  std::string eth0_mac, veth_mac;
};

// run's network flags, as the real `run` takes them (core/src/runtime/run_spec.cpp).
struct NetRequest {
  std::string net;  // "", none, host, bridge (slirp4netns is refused: not simulated)
  std::string network;
  std::vector<std::string> publish;
};

// What the flags come to: whether the container gets a network namespace of its own, and the
// bridge network to join (none: lo only). Errors name the flag, as the real runtime's do.
struct NetPlan {
  bool own_netns = false;
  std::optional<net::Request> bridge;
};
// `ns_has_net`: --ns (or its default) names net.
NetPlan plan_network(const NetRequest& request, bool ns_has_net);

class Net {
 public:
  std::map<std::string, net::Network> networks;  // by name
  std::map<std::string, NetNs> netns;            // by container name (absent: the host's)
  std::map<std::string, int> bridge_index;       // bridge name -> ifindex on the host side

  // As Networks::create: a subnet given (checked, no overlap) or the first free 10.89.N.0/24.
  const net::Network& create_network(const std::string& name,
                                     const std::optional<std::string>& subnet);
  // The default network is made on first use; another must exist.
  const net::Network& network(const std::string& name);
  void remove_network(const std::string& name);

  // Before the container exists: its address (as Networks::allocate: the lowest free from the
  // network's cursor on; throws naming the subnet when it is full).
  net::Attachment lease(const std::string& container, const net::Request& request);
  // The container got its namespace (inode) and, with an attachment, its veth into the bridge;
  // `seed` (the container's id) names the veth and draws its MAC addresses.
  void join(const std::string& container, std::uint64_t inode,
            std::optional<net::Attachment> attachment, const std::string& seed);
  // rm: the namespace goes, and the lease with it. No error when it had neither.
  void release(const std::string& container);

  // The container's network namespace inode (the host's when it has none of its own).
  std::uint64_t inode_of(const std::string& container) const;
  // Its attachment as `inspect` shows it (null: on no network).
  nlohmann::json attachment_json(const std::string& container) const;

  nlohmann::json to_json() const;
  static Net from_json(const nlohmann::json& j);

 private:
  int next_ifindex_ = 3;  // host side: lo 1, eth0 2, then bridges and veths as they come
};

// A short deterministic hex name from `seed` and `salt` (8 hex digits).
std::string seeded_hex(const std::string& seed, const std::string& salt);
// A locally administered unicast MAC from `seed` and `salt`, as the kernel draws for a veth.
std::string seeded_mac(const std::string& seed, const std::string& salt);

}  // namespace boxlab::sim
