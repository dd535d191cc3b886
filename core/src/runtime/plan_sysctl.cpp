// linux.sysctl: which keys a container may set, and where the child writes them.
// Only keys that belong to a namespace the container has of its own (runc's and Docker's rule):
// anything else would change the host for everyone.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string_view>

#include "boxlab/error.hpp"
#include "plan_child.hpp"

namespace boxlab::runtime {
namespace {

// The IPC namespace's own keys (ipc_sysctl.c, mq_sysctl.c).
constexpr std::array<std::string_view, 9> kIpcKeys = {
    "kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
    "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msg_next_id"};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The namespace a key belongs to, or nullopt for a host-wide key.
std::optional<NsKind> namespace_of(std::string_view key) {
  if (std::find(kIpcKeys.begin(), kIpcKeys.end(), key) != kIpcKeys.end() ||
      starts_with(key, "fs.mqueue."))
    return NsKind::ipc;
  if (key == "kernel.hostname" || key == "kernel.domainname") return NsKind::uts;
  if (starts_with(key, "net.")) return NsKind::net;
  return std::nullopt;
}

// "net.ipv4.ip_forward" (or "net/ipv4/ip_forward") to "proc/sys/net/ipv4/ip_forward", refusing
// anything that is not plain names (no "..", no empty part).
std::string proc_path(const std::string& key, const std::string& where) {
  std::string path = "proc/sys/";
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find_first_of("./", start);
    if (end == std::string::npos) end = key.size();
    std::string part = key.substr(start, end - start);
    if (part.empty() || part == "..") throw Error(where + ": '" + key + "' is not a sysctl name");
    for (char c : part)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
        throw Error(where + ": '" + key + "' is not a sysctl name");
    path += (start ? "/" : "") + part;
    start = end + 1;
  }
  return path;
}

}  // namespace

void plan_sysctls(const spec::Spec& spec, const NsSet& ns, process::ChildPlan& plan) {
  for (const auto& [key, value] : spec.sysctl) {
    std::string where = "/linux/sysctl/" + key;
    std::string path = proc_path(key, where);
    std::string dotted = path.substr(std::string("proc/sys/").size());
    std::replace(dotted.begin(), dotted.end(), '/', '.');
    auto kind = namespace_of(dotted);
    if (!kind)
      throw Error(where + ": not a namespaced sysctl; a container may set only the keys of its " +
                  "own ipc, uts or network namespace (net.*, kernel.shm*, kernel.msg*, " +
                  "kernel.sem, fs.mqueue.*, kernel.hostname, kernel.domainname)");
    if (!ns.has(*kind))
      throw Error(where + ": the container shares the host's " + std::string(ns_oci_name(*kind)) +
                  " namespace, so this would change the host's value");
    if (!ns.has(NsKind::mount))
      throw Error(where + ": sysctls are written through the container's own /proc, which " +
                  "needs a mount namespace");
    if (value.find('\n') != std::string::npos) throw Error(where + ": the value holds a newline");
    plan.sysctls.push_back({path, value});
  }
}

}  // namespace boxlab::runtime
