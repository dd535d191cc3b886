// One small rtnetlink client: the handful of link, address and route operations boxlab needs,
// in one network namespace. `ip link add ... type veth peer ...` and friends, without `ip`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::net {

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;  // "bridge", "veth", "" (loopback, physical)
  int master = 0;    // bridge index when enslaved
  int link = 0;      // veth: the peer's index (in the peer's namespace)
  bool up = false;
  std::string mac;
};

struct AddrInfo {
  int index = 0;
  std::uint32_t address = 0;  // host byte order
  int prefix = 0;
};

// Runs fn with the calling thread in the network namespace `netns_fd`, then switches back.
// Sockets made inside stay bound to that namespace.
void in_netns(int netns_fd, const std::function<void()>& fn);

class Rtnl {
 public:
  // A NETLINK_ROUTE socket in the namespace behind netns_fd (-1: the caller's).
  explicit Rtnl(int netns_fd = -1);

  int link_index(const std::string& name);  // 0 when there is none
  void add_bridge(const std::string& name);
  // A veth pair: `name` here, `peer` created directly in the namespace behind peer_netns_fd.
  void add_veth(const std::string& name, const std::string& peer, int peer_netns_fd);
  void set_master(int index, int master);
  void set_up(int index);
  void add_address(int index, std::uint32_t address, int prefix);
  void add_default_route(std::uint32_t gateway);
  bool delete_link(const std::string& name);  // false when it did not exist

  std::vector<LinkInfo> links();
  std::vector<AddrInfo> addresses();

 private:
  void transact(std::vector<char>& msg, const std::string& what);
  std::vector<std::vector<char>> dump(std::uint16_t type, const void* body, size_t len);
  Fd fd_;
  std::uint32_t seq_ = 1;
};

}  // namespace boxlab::net
