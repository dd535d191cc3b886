#include "boxlab/sim/network.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "boxlab/error.hpp"
#include "boxlab/sim/namespaces.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::sim {

using nlohmann::json;

namespace {

// FNV-1a: a stable hash of text (no randomness: one seed, one picture).
std::uint64_t fnv(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string seeded_mac(const std::string& seed, const std::string& salt) {
  std::uint64_t h = fnv(seed + "/" + salt);
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                static_cast<unsigned>(((h >> 40) & 0xfe) | 0x02),
                static_cast<unsigned>((h >> 32) & 0xff), static_cast<unsigned>((h >> 24) & 0xff),
                static_cast<unsigned>((h >> 16) & 0xff), static_cast<unsigned>((h >> 8) & 0xff),
                static_cast<unsigned>(h & 0xff));
  return buf;
}

std::string seeded_hex(const std::string& seed, const std::string& salt) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(fnv(seed + "/" + salt) >> 32));
  return buf;
}

NetPlan plan_network(const NetRequest& r, bool ns_has_net) {
  const std::string& f = r.net;
  if (!f.empty() && f != "none" && f != "host" && f != "bridge" && f != "slirp4netns")
    throw Error("--net: '" + f + "' is not one of none, host, bridge, slirp4netns");
  if (f == "slirp4netns")
    throw Error(
        "--net slirp4netns: not simulated (the simulator has no outside world to reach; "
        "it models none, host and bridge: docs/simulator.md)");
  // Bridge mode is opt-in (--net bridge, --network, -p); the default stays a netns with lo.
  bool bridge = f == "bridge" || (f.empty() && (!r.network.empty() || !r.publish.empty()));
  if (!bridge && (!r.network.empty() || !r.publish.empty()))
    throw Error("--net " + f + ": --network and -p need bridge networking (--net bridge)");
  NetPlan plan;
  plan.own_netns = f == "none" || bridge || (f.empty() && ns_has_net);
  if (bridge) {
    net::Request request;
    if (!r.network.empty()) {
      sys::validate_name("network", r.network);
      request.network = r.network;
    }
    for (const auto& p : r.publish) request.ports.push_back(net::PortMap::parse(p));
    plan.bridge = request;
  }
  return plan;
}

const net::Network& Net::create_network(const std::string& name,
                                        const std::optional<std::string>& subnet) {
  sys::validate_name("network", name);
  return with_context("create network " + name, [&]() -> const net::Network& {
    if (networks.contains(name)) throw Error("a network named '" + name + "' already exists");
    net::Network n;
    n.name = name;
    if (subnet) {
      n.subnet = with_context("--subnet", [&] { return net::Subnet::parse(*subnet); });
      for (const auto& [other, o] : networks)
        if (o.subnet.overlaps(n.subnet))
          throw Error("--subnet " + *subnet + " overlaps network " + other + " (" +
                      o.subnet.to_string() + ")");
    } else {
      bool found = false;
      for (int third = 0; third < 256 && !found; ++third) {
        n.subnet = net::Subnet::parse("10.89." + std::to_string(third) + ".0/24");
        found = std::none_of(networks.begin(), networks.end(),
                             [&](const auto& o) { return o.second.subnet.overlaps(n.subnet); });
      }
      if (!found) throw Error("no free 10.89.N.0/24 subnet left; give one with --subnet");
    }
    n.bridge = name == net::kDefaultNetwork ? std::string(net::kDefaultNetwork)
                                            : "bl-" + seeded_hex(name, n.subnet.to_string());
    n.created = sys::now_rfc3339();
    n.next = n.subnet.first_host();
    bridge_index[n.bridge] = next_ifindex_++;
    return networks[name] = n;
  });
}

const net::Network& Net::network(const std::string& name) {
  sys::validate_name("network", name);
  if (auto it = networks.find(name); it != networks.end()) return it->second;
  if (name == net::kDefaultNetwork) return create_network(name, std::string(net::kDefaultSubnet));
  throw Error("no such network: " + name + " (boxlab network create " + name + ")");
}

void Net::remove_network(const std::string& name) {
  sys::validate_name("network", name);
  with_context("remove network " + name, [&] {
    auto it = networks.find(name);
    if (it == networks.end()) throw Error("no such network: " + name);
    if (!it->second.leases.empty()) {
      std::string users;
      for (const auto& l : it->second.leases) users += (users.empty() ? "" : ", ") + l.second;
      throw Error("it is in use by " + users + " (remove those containers first)");
    }
    bridge_index.erase(it->second.bridge);
    networks.erase(it);
  });
}

net::Attachment Net::lease(const std::string& container, const net::Request& request) {
  net::Network& n = networks.at(network(request.network).name);
  return with_context("network " + n.name, [&] {
    std::erase_if(n.leases, [&](const auto& l) { return l.second == container; });
    const net::Subnet& s = n.subnet;
    std::uint32_t count = s.last_host() - s.first_host() + 1;
    std::uint32_t start = s.contains(n.next) && n.next >= s.first_host() && n.next <= s.last_host()
                              ? n.next
                              : s.first_host();
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint32_t addr = s.first_host() + (start - s.first_host() + i) % count;
      bool taken = std::any_of(n.leases.begin(), n.leases.end(),
                               [&](const auto& l) { return l.first == addr; });
      if (taken) continue;
      n.leases.emplace_back(addr, container);
      n.next = addr + 1 > s.last_host() ? s.first_host() : addr + 1;
      net::Attachment a;
      a.network = n.name;
      a.bridge = n.bridge;
      a.address = addr;
      a.prefix = s.prefix;
      a.gateway = s.gateway();
      a.ports = request.ports;
      a.host_netns = kHostNetIno;
      return a;
    }
    std::string users;
    for (const auto& l : n.leases) users += (users.empty() ? "" : ", ") + l.second;
    throw Error("subnet " + s.to_string() + " is exhausted: all " + std::to_string(count) +
                " container addresses are in use (by " + users + ")");
  });
}

void Net::join(const std::string& container, std::uint64_t inode,
               std::optional<net::Attachment> attachment, const std::string& seed) {
  NetNs ns;
  ns.inode = inode;
  if (attachment) {
    attachment->host_veth = "veth" + seeded_hex(seed, "veth");
    ns.veth_index = next_ifindex_++;
    ns.eth0_mac = seeded_mac(seed, "eth0");
    ns.veth_mac = seeded_mac(seed, "veth");
  }
  ns.attachment = std::move(attachment);
  netns[container] = std::move(ns);
}

void Net::release(const std::string& container) {
  netns.erase(container);
  for (auto& [name, n] : networks)
    std::erase_if(n.leases, [&](const auto& l) { return l.second == container; });
}

std::uint64_t Net::inode_of(const std::string& container) const {
  auto it = netns.find(container);
  return it == netns.end() ? kHostNetIno : it->second.inode;
}

json Net::attachment_json(const std::string& container) const {
  auto it = netns.find(container);
  if (it == netns.end() || !it->second.attachment) return nullptr;
  return it->second.attachment->to_json();
}

json Net::to_json() const {
  json j = {{"nextIfindex", next_ifindex_},
            {"networks", json::array()},
            {"netns", json::object()},
            {"bridgeIndex", bridge_index}};
  for (const auto& [name, n] : networks) j["networks"].push_back(n.to_json());
  for (const auto& [name, ns] : netns)
    j["netns"][name] = {{"inode", ns.inode},
                        {"attachment", ns.attachment ? ns.attachment->to_json() : json(nullptr)},
                        {"vethIndex", ns.veth_index},
                        {"eth0Mac", ns.eth0_mac},
                        {"vethMac", ns.veth_mac}};
  return j;
}

Net Net::from_json(const json& j) {
  Net n;
  n.next_ifindex_ = j.value("nextIfindex", 3);
  for (const auto& r : j.value("networks", json::array())) {
    net::Network nw = net::Network::from_json(r);
    n.networks[nw.name] = nw;
  }
  n.bridge_index = j.value("bridgeIndex", std::map<std::string, int>{});
  const json spaces = j.value("netns", json::object());  // items() refers to it: a named copy
  for (const auto& [name, s] : spaces.items()) {
    NetNs ns;
    ns.inode = s.at("inode");
    if (!s.at("attachment").is_null()) ns.attachment = net::Attachment::from_json(s["attachment"]);
    ns.veth_index = s.value("vethIndex", 0);
    ns.eth0_mac = s.value("eth0Mac", "");
    ns.veth_mac = s.value("vethMac", "");
    n.netns[name] = std::move(ns);
  }
  return n;
}

}  // namespace boxlab::sim
