// What the simulated network looks like from inside a namespace, and the commands the labs
// type to look at it and use it: `ip addr|link|route` (busybox's output), `ping -c N ADDR`,
// `wget -q -O- http://ADDR:PORT/`. No packet moves: reach() decides from the model who would
// answer (same bridge, own address, loopback, the host's own addresses through the gateway),
// and a container "serves" on a port when its command is `httpd -f -p PORT` or `nc -l -p PORT`.
// The picture for the app is the real engine's `net.topology` body (docs/events.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/sim/machine.hpp"

namespace boxlab::sim {

struct Iface {
  std::string name;
  int index = 0;
  std::string kind;  // bridge, veth, "" (loopback, ethernet)
  std::string mac;
  std::string master;   // the bridge it is enslaved to
  int peer_index = 0;   // a veth's peer: that end's index in its own namespace
  std::string peer_ns;  // "" host side, else the container
  int mtu = 1500;
  std::vector<std::pair<std::uint32_t, int>> addresses;  // IPv4, prefix
};

// The network namespace a running container's commands are in: "" the host's, else its name.
// Throws when the container does not run.
std::string netns_of(const Machine& m, const std::string& container);
// The interfaces of a namespace ("" the host side), in ifindex order.
std::vector<Iface> interfaces(const Machine& m, const std::string& ns);

// Who answers a packet sent from namespace `from` to `addr`.
struct Reach {
  enum Kind {
    answered,     // `ns` answers (itself included)
    unreachable,  // no route: "Network is unreachable"
    no_host,      // on a connected subnet, but no one there has the address (no ARP reply)
    dropped,      // sent to a gateway that does not forward it (or the outside world)
  } kind = unreachable;
  std::string ns;
};
Reach reach(const Machine& m, const std::string& from, std::uint32_t addr);

// A name as the namespace's /etc/hosts resolves it: localhost, its own hostname, and the
// containers of its network (as the real network's hosts file lists them).
std::optional<std::uint32_t> resolve(const Machine& m, const std::string& container,
                                     const std::string& name);

// The TCP ports a container's command listens on (0.0.0.0), with what it answers.
struct Service {
  std::uint16_t port = 0;
  bool http = false;                // httpd (else nc: the bytes it was given)
  std::optional<std::string> body;  // httpd: index.html when the command wrote one
};
std::vector<Service> services(const SimContainer& c);

// ip, ping or wget (argv[0]) run in `container`: the output busybox prints and its status.
ExecResult net_tool(const Machine& m, const std::string& container,
                    const std::vector<std::string>& argv);

// The `net.topology` body (docs/events.md) of the simulated machine; only `network` when given.
nlohmann::json topology(const Machine& m, const std::string& network = {});

// The container's network in its view: proc/net/dev, sys/class/net/IF/{address,ifindex,mtu,
// operstate}, etc/hosts.
void write_net_view(const Machine& m, const std::string& container,
                    const std::filesystem::path& dir);
// Shell functions ip, ping and wget that run `boxlab sim-backend net-tool` (self) against the
// machine in `state_dir`, for a read-only exec's script.
std::string net_functions(const std::filesystem::path& self, const std::filesystem::path& state_dir,
                          const std::string& container);

// The network namespace inode of a task (its container's, else the host's).
std::uint64_t task_net_inode(const Machine& m, const Task& t);

}  // namespace boxlab::sim
