// The `net.topology` picture: what the kernel says (netlink in the host side and in each
// container's namespace) joined with boxlab's records (networks, leases, ports, proxies).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/net.hpp"
#include "boxlab/sys/process.hpp"
#include "rtnl.hpp"

namespace boxlab::net {
namespace {

std::uint64_t inode_of(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// Every interface of one namespace with its IPv4 addresses.
nlohmann::json interfaces(Rtnl& rt) {
  auto links = rt.links();
  auto addrs = rt.addresses();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : links) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& ad : addrs)
      if (ad.index == l.index)
        a.push_back(ip_to_string(ad.address) + "/" + std::to_string(ad.prefix));
    std::string master;
    for (const auto& m : links)
      if (m.index == l.master && l.master != 0) master = m.name;
    out.push_back({{"name", l.name},
                   {"index", l.index},
                   {"kind", l.kind},
                   {"up", l.up},
                   {"mac", l.mac},
                   {"master", master},
                   {"peerIndex", l.link},
                   {"addresses", a}});
  }
  return out;
}

const nlohmann::json* find_if_named(const nlohmann::json& ifs, const std::string& name) {
  for (const auto& i : ifs)
    if (i["name"] == name) return &i;
  return nullptr;
}

}  // namespace

nlohmann::json topology(const Paths& paths, const std::vector<TopologyMember>& containers,
                        const std::string& network) {
  Fd host = host_netns();
  Rtnl host_rt(host.get());
  nlohmann::json host_ifs = interfaces(host_rt);
  const char* env = std::getenv(kHostNetnsEnv);

  nlohmann::json j;
  j["hostNetns"] = {{"inode", inode_of(host.get())}, {"path", env && *env ? env : ""}};
  j["networks"] = nlohmann::json::array();
  j["bridges"] = nlohmann::json::array();
  j["namespaces"] = nlohmann::json::array();
  j["vethPairs"] = nlohmann::json::array();
  j["ports"] = nlohmann::json::array();

  std::vector<std::string> bridges;
  for (const auto& n : Networks(paths).list()) {
    if (!network.empty() && n.name != network) continue;
    j["networks"].push_back(n.to_json());
    bridges.push_back(n.bridge);
    nlohmann::json b = {{"name", n.bridge},
                        {"network", n.name},
                        {"present", false},
                        {"up", false},
                        {"addresses", nlohmann::json::array()},
                        {"ports", nlohmann::json::array()}};
    if (const auto* i = find_if_named(host_ifs, n.bridge)) {
      b["present"] = true;
      b["up"] = (*i)["up"];
      b["addresses"] = (*i)["addresses"];
      for (const auto& other : host_ifs)
        if (other["master"] == n.bridge) b["ports"].push_back(other["name"]);
    }
    j["bridges"].push_back(b);
  }
  nlohmann::json host_ns = {
      {"name", "host"}, {"inode", inode_of(host.get())}, {"interfaces", host_ifs}};
  if (!network.empty()) {
    // Only what belongs to this network: its bridge and the veths on it.
    nlohmann::json only = nlohmann::json::array();
    for (const auto& i : host_ifs)
      if (std::find(bridges.begin(), bridges.end(), i["name"]) != bridges.end() ||
          std::find(bridges.begin(), bridges.end(), i["master"]) != bridges.end())
        only.push_back(i);
    host_ns["interfaces"] = only;
  }
  j["namespaces"].push_back(host_ns);

  for (const auto& st : containers) {
    bool attached = !st.attachment.is_null();
    if (!network.empty() && (!attached || st.attachment.value("network", "") != network)) continue;
    if (attached) {
      Attachment a = Attachment::from_json(st.attachment);
      j["vethPairs"].push_back({{"host", a.host_veth},
                                {"bridge", a.bridge},
                                {"container", st.name},
                                {"containerIf", "eth0"},
                                {"present", find_if_named(host_ifs, a.host_veth) != nullptr}});
      for (const auto& p : a.ports)
        j["ports"].push_back(
            {{"host", p.host},
             {"hostIp", ip_to_string(p.host_ip)},
             {"container", p.container},
             {"protocol", "tcp"},
             {"containerName", st.name},
             {"address", ip_to_string(a.address)},
             {"proxyPid", a.proxy_pid},
             {"proxyRunning", sys::process_alive(a.proxy_pid, a.proxy_start_time)}});
    }
    if (st.netns_pid <= 0) continue;
    try {
      std::string path = "/proc/" + std::to_string(st.netns_pid) + "/ns/net";
      Fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns) continue;  // it just went
      Rtnl rt(ns.get());
      nlohmann::json ifs = interfaces(rt);
      // A veth pair made by hand (`ip link add .. type veth peer .. netns PID`): each end's
      // peer index names the other, one end on the host side, the other here.
      for (const auto& c : ifs) {
        if (c["kind"] != "veth" || (attached && c["name"] == "eth0")) continue;
        for (const auto& h : host_ifs)
          if (h["kind"] == "veth" && h["index"] == c["peerIndex"] && h["peerIndex"] == c["index"])
            j["vethPairs"].push_back({{"host", h["name"]},
                                      {"bridge", h["master"]},
                                      {"container", st.name},
                                      {"containerIf", c["name"]},
                                      {"present", true},
                                      {"byHand", true}});
      }
      j["namespaces"].push_back(
          {{"name", st.name},
           {"container", st.name},
           {"pid", st.netns_pid},
           {"inode", inode_of(ns.get())},
           {"network", attached ? st.attachment["network"] : nlohmann::json()},
           {"interfaces", std::move(ifs)}});
    } catch (const Error&) {
    }
  }
  return j;
}

}  // namespace boxlab::net
