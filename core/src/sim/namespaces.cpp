#include "boxlab/sim/namespaces.hpp"

#include <algorithm>
#include <cerrno>

#include "boxlab/error.hpp"

namespace boxlab::sim {

using nlohmann::json;

namespace {
constexpr Pid kPidMax = 32768;
}

Namespaces::Namespaces() {
  pid.push_back(PidNs{-1, 0, 4026531836, 1, {}});
  uts.push_back(UtsNs{4026531838, "simhost"});
  mnt.push_back(MountNs{4026531841,
                        {"/ ext4 /dev/sda1", "/proc proc proc", "/sys/fs/cgroup cgroup2 cgroup2"}});
}

int Namespaces::new_pid_ns(int parent) {
  pid.push_back(PidNs{parent, pid.at(static_cast<size_t>(parent)).level + 1, next_inode_++, 1, {}});
  return static_cast<int>(pid.size()) - 1;
}

int Namespaces::copy_uts(int from) {
  UtsNs n = uts.at(static_cast<size_t>(from));
  n.inode = next_inode_++;
  uts.push_back(n);
  return static_cast<int>(uts.size()) - 1;
}

int Namespaces::copy_mnt(int from) {
  MountNs n = mnt.at(static_cast<size_t>(from));
  n.inode = next_inode_++;
  mnt.push_back(n);
  return static_cast<int>(mnt.size()) - 1;
}

Pid Namespaces::alloc(int ns, Pid host) {
  PidNs& p = pid.at(static_cast<size_t>(ns));
  for (Pid tries = 0; tries < kPidMax; ++tries) {
    Pid candidate = p.next;
    p.next = p.next + 1 >= kPidMax ? (ns == 0 ? 300 : 2) : p.next + 1;
    if (!p.host_pid.contains(candidate)) {
      p.host_pid[candidate] = host;
      return candidate;
    }
  }
  throw Error("simulated pid namespace is full", EAGAIN);
}

void Namespaces::release(int ns, Pid nspid) {
  pid.at(static_cast<size_t>(ns)).host_pid.erase(nspid);
}

std::vector<int> Namespaces::chain(int ns) const {
  std::vector<int> out;
  for (int n = ns; n >= 0; n = pid.at(static_cast<size_t>(n)).parent) out.push_back(n);
  std::reverse(out.begin(), out.end());
  return out;
}

json Namespaces::to_json() const {
  json j;
  j["nextInode"] = next_inode_;
  for (const auto& p : pid) {
    json m = json::array();
    for (const auto& [k, v] : p.host_pid) m.push_back({k, v});
    j["pid"].push_back({{"parent", p.parent},
                        {"level", p.level},
                        {"inode", p.inode},
                        {"next", p.next},
                        {"pids", m}});
  }
  for (const auto& u : uts) j["uts"].push_back({{"inode", u.inode}, {"hostname", u.hostname}});
  for (const auto& m : mnt) j["mnt"].push_back({{"inode", m.inode}, {"mounts", m.mounts}});
  return j;
}

Namespaces Namespaces::from_json(const json& j) {
  Namespaces n;
  n.pid.clear();
  n.uts.clear();
  n.mnt.clear();
  n.next_inode_ = j.at("nextInode");
  for (const auto& p : j.at("pid")) {
    PidNs ns{p.at("parent"), p.at("level"), p.at("inode"), p.at("next"), {}};
    for (const auto& kv : p.at("pids")) ns.host_pid[kv[0].get<Pid>()] = kv[1].get<Pid>();
    n.pid.push_back(std::move(ns));
  }
  for (const auto& u : j.at("uts")) n.uts.push_back(UtsNs{u.at("inode"), u.at("hostname")});
  for (const auto& m : j.at("mnt"))
    n.mnt.push_back(MountNs{m.at("inode"), m.at("mounts").get<std::vector<std::string>>()});
  return n;
}

}  // namespace boxlab::sim
