// Container networking: networks (a bridge + a subnet + an address allocator), attaching a
// container to one (veth pair, eth0, address, default route, /etc/hosts), published ports
// (a userspace TCP proxy), and the topology as JSON (the `net.topology` event).
//
// "Host side" is the network namespace where bridges, host veth ends and proxies live: the
// caller's own, or the one named by BOXLAB_NET_NS (`boxlab --host-netns PATH`). Tests always
// point it at a namespace they created, so nothing touches the machine's own network.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/paths.hpp"

namespace boxlab::net {

inline constexpr const char* kDefaultNetwork = "boxlab0";
inline constexpr const char* kDefaultSubnet = "10.88.0.0/24";
inline constexpr const char* kHostNetnsEnv = "BOXLAB_NET_NS";

// An IPv4 subnet, host byte order. parse() accepts "A.B.C.D/N" with 8 <= N <= 30 and no host
// bits set; errors name the text.
struct Subnet {
  std::uint32_t base = 0;
  int prefix = 0;
  static Subnet parse(const std::string& cidr);
  std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
  std::uint32_t gateway() const { return base + 1; }  // the bridge's address
  std::uint32_t first_host() const { return base + 2; }
  std::uint32_t last_host() const { return (base | ~mask()) - 1; }  // below broadcast
  bool contains(std::uint32_t addr) const { return (addr & mask()) == base; }
  bool overlaps(const Subnet& o) const;
  std::string to_string() const;
};
std::string ip_to_string(std::uint32_t addr);
std::uint32_t parse_ip(const std::string& text);  // throws

// -p [ADDRESS:]HOSTPORT:CONTAINERPORT[/tcp]. Without an address the port listens on 127.0.0.1
// only: publishing to every interface of the host is asked for (-p 0.0.0.0:8080:80).
struct PortMap {
  static constexpr std::uint32_t kLoopback = 0x7f000001;  // 127.0.0.1
  std::uint16_t host = 0;
  std::uint16_t container = 0;
  std::uint32_t host_ip = kLoopback;              // host byte order; 0: every interface
  static PortMap parse(const std::string& spec);  // errors name "-p"
};

// What `run` asks for: a network to join and ports to publish.
struct Request {
  std::string network = kDefaultNetwork;
  std::vector<PortMap> ports;
};

struct Network {
  std::string name;
  Subnet subnet;
  std::string bridge;                                         // interface name on the host side
  std::string created;                                        // RFC 3339
  std::uint32_t next = 0;                                     // where the allocator looks first
  std::vector<std::pair<std::uint32_t, std::string>> leases;  // address -> container name
  nlohmann::json to_json() const;
  static Network from_json(const nlohmann::json& j);
};

// The networks of one boxlab root: DIR/state/networks/NAME.json, NAME.hosts, and one lock
// file serializing every change (so concurrent `run`s never hand out one address twice).
class Networks {
 public:
  explicit Networks(const Paths& paths);

  // Records the network and creates its bridge on the host side. Without a subnet, picks the
  // first free 10.89.N.0/24.
  Network create(const std::string& name, const std::optional<std::string>& subnet);
  // The default network is created on first use; others must exist.
  Network get(const std::string& name, bool create_default = true);
  std::vector<Network> list();
  // Refuses while containers hold addresses; deletes the bridge.
  void remove(const std::string& name);

  // Address for `container` (lowest free after the last one handed out). Throws a clear
  // error when the subnet is exhausted. Leases of containers that no longer exist are dropped.
  std::uint32_t allocate(const std::string& network, const std::string& container);
  // Drops the container's lease (no error when it has none) and rewrites the hosts file.
  void release(const std::string& network, const std::string& container);
  // The network's /etc/hosts (bind-mounted read-only into its containers, rewritten in place).
  std::filesystem::path hosts_file(const std::string& network) const;
  // Makes sure the bridge exists and is up on the host side (a new host netns has none).
  void ensure_bridge(const Network& n);

 private:
  std::filesystem::path dir_;
  std::filesystem::path containers_dir_;
};

// What a container got; kept in its state ("network") and undone by detach().
struct Attachment {
  std::string network;
  std::string bridge;
  std::uint32_t address = 0;
  int prefix = 0;
  std::uint32_t gateway = 0;
  std::string host_veth;         // host-side end; the container's end is eth0
  std::uint64_t host_netns = 0;  // inode of the host side it was made in
  std::vector<PortMap> ports;
  pid_t proxy_pid = 0;
  std::uint64_t proxy_start_time = 0;
  nlohmann::json to_json() const;
  static Attachment from_json(const nlohmann::json& j);
};

// The steps of joining a network for one container, in create()'s order. Each step records
// what it made; the destructor undoes all of it unless commit() was called.
class Attacher {
 public:
  Attacher(const Paths& paths, std::string container, Request request);
  ~Attacher();
  Attacher(const Attacher&) = delete;
  Attacher& operator=(const Attacher&) = delete;

  // Before clone: the network (default created on first use), the bridge, an address, the
  // listening sockets of published ports (so a taken port fails before anything runs).
  void prepare();
  std::filesystem::path hosts_file() const;
  // After clone, before the child is released: veth pair, eth0 in the container's netns
  // (given as a pidfd-stable pid), address, link up, default route; hosts file updated.
  void connect(pid_t pid);
  // After the container runs: the port proxy (a child process that exits with the container).
  void start_proxy(int container_pidfd);
  const Attachment& attachment() const { return a_; }
  void commit() { committed_ = true; }

 private:
  Paths paths_;
  std::string container_;
  Request request_;
  Attachment a_;
  std::vector<Fd> listeners_;
  bool leased_ = false;
  bool committed_ = false;
};

// rm: stops the proxy, deletes the host veth (gone already when the netns died), releases the
// address. Safe to call twice.
void detach(const Paths& paths, const std::string& container, const nlohmann::json& attachment);
// After the container's first process exited: ends the proxy and reaps it when it is our child.
void stop_proxy(const nlohmann::json& attachment);

// Host side as configured: an fd of BOXLAB_NET_NS, or of the caller's own netns.
Fd host_netns();

// Bridges, veth pairs, namespaces with their interfaces and addresses, published ports; from
// the kernel (netlink in each namespace) and boxlab's records. Only `network` when non-empty.
// A container as the topology sees it (the runtime fills these from its states: see
// container.hpp's overload, which takes the containers themselves).
struct TopologyMember {
  std::string name;
  nlohmann::json attachment;  // Attachment::to_json(), null when on no network
  pid_t netns_pid = 0;        // a live process in its own network namespace, else 0
};
nlohmann::json topology(const Paths& paths, const std::vector<TopologyMember>& containers,
                        const std::string& network = {});

}  // namespace boxlab::net
