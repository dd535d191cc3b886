// The "linux" object of config.json (namespaces, id mappings, masked/read-only paths, cgroup
// resources, sysctl, rootfs propagation) and the checks that tie it to the rest of the config.
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <string>
#include <string_view>

#include "boxlab/seccomp.hpp"
#include "parse_parts.hpp"

namespace boxlab::spec::detail {

namespace {

Namespace parse_namespace(const Node& node, const std::vector<Namespace>& earlier) {
  node.expect_object();
  Node type = node.require("type");
  std::string name = type.string();
  // ns_from_name() also takes the /proc spellings that `--ns` allows; config files use OCI's.
  auto kind = ns_from_name(name);
  if (kind && name != ns_oci_name(*kind)) {
    type.fail("unknown namespace '" + name + "' (OCI spells it '" +
              std::string(ns_oci_name(*kind)) + "')");
  }
  if (!kind) {
    type.fail("unknown namespace '" + name +
              "' (expected pid, network, mount, ipc, uts, user or cgroup)");
  }
  bool dup = std::any_of(earlier.begin(), earlier.end(),
                         [&](const Namespace& ns) { return ns.kind == *kind; });
  if (dup) type.fail("namespace '" + name + "' listed twice");
  Namespace ns{*kind, {}};
  if (auto path = node.get("path")) {
    // Go writes "" for an unset path; only a non-empty one means "join".
    ns.path = path->string();
    if (!ns.path.empty()) ns.path = path->absolute_path();
  }
  return ns;
}

std::vector<IdMapping> parse_mappings(const Node& node) {
  std::vector<IdMapping> out;
  for (const Node& item : node.items()) {
    item.expect_object();
    IdMapping m;
    m.container_id = item.require("containerID").u32();
    m.host_id = item.require("hostID").u32();
    Node size = item.require("size");
    m.size = size.u32();
    if (m.size == 0) size.fail("must be > 0");
    // The kernel rejects ranges that wrap around the 32-bit id space.
    constexpr std::uint64_t kIds = std::uint64_t{1} << 32;
    if (m.container_id + std::uint64_t{m.size} > kIds || m.host_id + std::uint64_t{m.size} > kIds) {
      size.fail("range runs past id 4294967295");
    }
    out.push_back(m);
  }
  return out;
}

// "0-3,6,8-9": what cpuset.cpus accepts.
bool valid_cpu_list(std::string_view list) {
  if (list.empty()) return false;
  while (true) {
    auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    auto dash = item.find('-');
    std::string_view lo = item.substr(0, dash);
    std::string_view hi = dash == std::string_view::npos ? lo : item.substr(dash + 1);
    auto digits = [](std::string_view s) {
      return !s.empty() && s.size() < 8 &&
             std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if (!digits(lo) || !digits(hi) || std::stoul(std::string(lo)) > std::stoul(std::string(hi))) {
      return false;
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

// memory.reservation and memory.swap: bytes, or -1 for "no limit".
std::int64_t bytes_or_unlimited(const Node& node) {
  std::int64_t v = node.i64();
  if (v < -1) node.fail("must be >= 0, or -1 for unlimited");
  return v;
}

void parse_memory(const Node& node, Resources& r) {
  node.expect_object();
  if (auto limit = node.get("limit")) {
    // -1 is "unlimited" to runc and crun: what a new cgroup has, so nothing is set.
    std::int64_t v = limit->i64();
    if (v == 0 || v < -1) limit->fail("must be positive, or -1 for unlimited");
    if (v > 0) r.memory_limit = v;
  }
  if (auto reservation = node.get("reservation")) {
    r.memory_reservation = bytes_or_unlimited(*reservation);
  }
  if (auto swap = node.get("swap")) {
    r.memory_swap = bytes_or_unlimited(*swap);
    // swap is memory+swap (cgroup v1 memsw), so below the memory limit it makes no sense.
    if (r.memory_limit && *r.memory_swap >= 0 && *r.memory_swap < *r.memory_limit) {
      swap->fail("must be at least the memory limit (" + std::to_string(*r.memory_limit) +
                 "): it counts memory + swap");
    }
  }
  if (auto swappiness = node.get("swappiness")) {
    r.memory_swappiness = swappiness->u64();
    if (*r.memory_swappiness > 100) swappiness->fail("must be from 0 to 100");
  }
  if (auto oom = node.get("disableOOMKiller")) r.memory_disable_oom_killer = oom->boolean();
  // kernel and kernelTCP: deprecated kernel memory limits. runc 1.1 ignores both with a warning
  // ("Kernel memory settings are ignored"): checked for type here, warned about in parse_linux.
  if (auto kernel = node.get("kernel")) kernel->i64();
  if (auto tcp = node.get("kernelTCP")) tcp->i64();
}

void parse_cpu(const Node& node, Resources& r) {
  node.expect_object();
  if (auto shares = node.get("shares")) r.cpu_shares = shares->u64();
  if (auto quota = node.get("quota")) {
    r.cpu_quota = quota->i64();
    if (*r.cpu_quota == 0 || *r.cpu_quota < -1)
      quota->fail("must be positive, or -1 for unlimited");
  }
  if (auto period = node.get("period")) {
    r.cpu_period = period->u64();
    // CFS bounds (1 ms .. 1 s); the kernel answers anything else with EINVAL.
    if (*r.cpu_period < 1000 || *r.cpu_period > 1000000) {
      period->fail("must be between 1000 and 1000000 (microseconds)");
    }
  }
  if (auto cpus = node.get("cpus")) {
    std::string list = cpus->string();
    // Go tools write "" for "not set".
    if (!list.empty()) {
      if (!valid_cpu_list(list)) cpus->fail("invalid cpu list '" + list + "' (e.g. \"0-3,6\")");
      r.cpuset_cpus = list;
    }
  }
  if (auto mems = node.get("mems")) {
    std::string list = mems->string();
    if (!list.empty()) {
      if (!valid_cpu_list(list))
        mems->fail("invalid memory node list '" + list + "' (e.g. \"0-1\")");
      r.cpuset_mems = list;
    }
  }
  if (auto runtime = node.get("realtimeRuntime")) {
    r.cpu_realtime_runtime = runtime->i64();
    if (*r.cpu_realtime_runtime < -1) runtime->fail("must be >= 0, or -1 for unlimited");
  }
  if (auto period = node.get("realtimePeriod")) {
    r.cpu_realtime_period = period->u64();
    if (*r.cpu_realtime_period == 0) period->fail("must be positive (microseconds)");
  }
}

Resources parse_resources(const Node& node) {
  node.expect_object();
  Resources r;
  if (auto memory = node.get("memory")) parse_memory(*memory, r);
  if (auto cpu = node.get("cpu")) parse_cpu(*cpu, r);
  if (auto pids = node.get("pids")) {
    pids->expect_object();
    Node limit = pids->require("limit");
    r.pids_limit = limit.i64();
    if (*r.pids_limit == 0 || *r.pids_limit < -1)
      limit.fail("must be positive, or -1 for unlimited");
  }
  if (auto devices = node.get("devices")) {
    for (const Node& item : devices->items()) {
      item.expect_object();
      auto number = [&](const char* key) -> std::optional<std::int64_t> {
        if (auto n = item.get(key)) return n->i64();
        return std::nullopt;
      };
      std::string type = item.get("type") ? item.get("type")->string() : "";
      std::string access = item.get("access") ? item.get("access")->string() : "";
      r.devices.push_back(security::device_rule_from_oci(item.require("allow").boolean(), type,
                                                         number("major"), number("minor"), access,
                                                         item.pointer()));
    }
  }
  if (auto block_io = node.get("blockIO")) parse_block_io(*block_io, r);
  if (auto huge = node.get("hugepageLimits")) parse_hugepage_limits(*huge, r);
  if (auto network = node.get("network")) parse_network(*network, r);
  if (auto rdma = node.get("rdma")) parse_rdma(*rdma, r);
  if (auto unified = node.get("unified")) parse_unified(*unified, r);
  return r;
}

std::string parse_propagation(const Node& node) {
  static constexpr std::array<std::string_view, 8> kModes = {
      "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
  std::string mode = node.string();
  if (!mode.empty() && std::find(kModes.begin(), kModes.end(), mode) == kModes.end()) {
    node.fail("unknown propagation '" + mode + "' (expected rprivate, rslave, rshared, ...)");
  }
  return mode;
}

Device parse_device(const Node& node) {
  node.expect_object();
  Device d;
  d.path = node.require("path").absolute_path();
  if (d.path.rfind("/dev/", 0) != 0) node.require("path").fail("must be below /dev");
  Node type = node.require("type");
  std::string t = type.string();
  if (t != "c" && t != "u" && t != "b" && t != "p") type.fail("must be c, u, b or p");
  d.type = t[0];
  if (d.type != 'p') {
    d.major = node.require("major").integer(0, 4095);
    d.minor = node.require("minor").integer(0, 1048575);
  }
  if (auto mode = node.get("fileMode"))
    d.file_mode = static_cast<std::uint32_t>(mode->integer(0, 07777));
  if (auto uid = node.get("uid")) d.uid = uid->u32();
  if (auto gid = node.get("gid")) d.gid = gid->u32();
  return d;
}

}  // namespace

void parse_linux(const Node& section, Spec& out) {
  section.expect_object();
  if (auto namespaces = section.get("namespaces")) {
    for (const Node& ns : namespaces->items()) {
      out.namespaces.push_back(parse_namespace(ns, out.namespaces));
    }
  }
  if (auto uids = section.get("uidMappings")) out.uid_mappings = parse_mappings(*uids);
  if (auto gids = section.get("gidMappings")) out.gid_mappings = parse_mappings(*gids);
  if (auto masked = section.get("maskedPaths")) out.masked_paths = masked->absolute_paths();
  if (auto ro = section.get("readonlyPaths")) out.readonly_paths = ro->absolute_paths();
  if (auto devices = section.get("devices")) {
    for (const Node& d : devices->items()) out.devices.push_back(parse_device(d));
  }
  if (auto resources = section.get("resources")) {
    out.resources = parse_resources(*resources);
    // runc 1.1 says so too, and goes on: the kernel dropped kernel memory accounting (5.16).
    auto memory = resources->get("memory");
    if (memory && (memory->get("kernel") || memory->get("kernelTCP")))
      out.warnings.push_back(
          "/linux/resources/memory: kernel memory settings (kernel, kernelTCP) are ignored "
          "(deprecated; runc and crun ignore them too)");
  }
  if (auto path = section.get("cgroupsPath")) out.cgroups_path = path->string();
  if (auto sysctl = section.get("sysctl")) {
    for (const auto& [key, value] : sysctl->members()) out.sysctl[key] = value.string();
  }
  if (auto prop = section.get("rootfsPropagation"))
    out.rootfs_propagation = parse_propagation(*prop);
  if (auto personality = section.get("personality")) {
    personality->expect_object();
    Node domain = personality->require("domain");
    if (domain.string() == "LINUX")
      out.personality = 0x0000;  // PER_LINUX
    else if (domain.string() == "LINUX32")
      out.personality = 0x0008;  // PER_LINUX32
    else
      domain.fail("unknown domain '" + domain.string() + "' (expected LINUX or LINUX32)");
    if (auto flags = personality->get("flags"); flags && !flags->strings().empty())
      flags->fail("no personality flags are defined by the runtime-spec");
  }
  // Fields for what this runtime does not drive: refused, never dropped.
  if (auto label = section.get("mountLabel"); label && !label->string().empty())
    label->fail("boxlab does not apply SELinux labels; remove the field");
  if (auto rdt = section.get("intelRdt"); rdt && !rdt->members().empty())
    rdt->fail("boxlab does not drive Intel RDT (resctrl); remove the field");
  if (auto seccomp = section.get("seccomp")) {
    seccomp->expect_object();
    std::string text = seccomp->json().dump();
    security::parse_profile(text, seccomp->pointer());  // errors name /linux/seccomp/...
    out.seccomp = std::move(text);
  }
}

void check_consistency(const Node& config, const Spec& spec) {
  // Pointers for fields that may be absent altogether: name where they belong.
  auto at = [&](std::string pointer) { return Node(config.json(), std::move(pointer)); };

  const bool new_userns =
      std::any_of(spec.namespaces.begin(), spec.namespaces.end(),
                  [](const Namespace& ns) { return ns.kind == NsKind::user && ns.path.empty(); });
  if (new_userns) {
    // A fresh user namespace without maps leaves every id unmapped (nobody), and setuid fails.
    if (spec.uid_mappings.empty()) {
      at("/linux/uidMappings").fail("missing: a new user namespace needs uid mappings");
    }
    if (spec.gid_mappings.empty()) {
      at("/linux/gidMappings").fail("missing: a new user namespace needs gid mappings");
    }
  }
  if (!spec.has_namespace(NsKind::user)) {
    if (!spec.uid_mappings.empty()) {
      at("/linux/uidMappings").fail("given, but /linux/namespaces has no user namespace");
    }
    if (!spec.gid_mappings.empty()) {
      at("/linux/gidMappings").fail("given, but /linux/namespaces has no user namespace");
    }
  }
  // Setting the hostname without a UTS namespace would rename the host.
  if (!spec.hostname.empty() && !spec.has_namespace(NsKind::uts)) {
    at("/hostname").fail("needs a uts namespace in /linux/namespaces");
  }
}

}  // namespace boxlab::spec::detail
