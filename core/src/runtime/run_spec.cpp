#include "boxlab/run_spec.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "boxlab/error.hpp"
#include "boxlab/ns/subid.hpp"
#include "boxlab/run_security.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/slirp.hpp"
#include "cgroup_delegate.hpp"

namespace boxlab {
namespace {

void set_env(std::vector<std::string>& env, const std::string& entry) {
  auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) throw Error("--env: '" + entry + "' is not KEY=VALUE");
  std::string key = entry.substr(0, eq + 1);
  for (auto& e : env)
    if (e.rfind(key, 0) == 0) {
      e = entry;
      return;
    }
  env.push_back(entry);
}

// "CONTAINER:HOST:COUNT" of --uidmap/--gidmap, as podman takes it; the ranges must not overlap
// inside or on the host (the kernel refuses such a map with a bare EINVAL).
std::vector<ns::IdMapping> parse_id_maps(const std::string& flag,
                                         const std::vector<std::string>& texts) {
  std::vector<ns::IdMapping> maps;
  for (const auto& text : texts) {
    std::uint64_t v[3];
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
      std::size_t end = text.find(':', pos);
      std::string part = text.substr(pos, end == std::string::npos ? end : end - pos);
      bool last = i == 2;
      if (part.empty() || part.size() > 10 ||
          part.find_first_not_of("0123456789") != std::string::npos ||
          (end == std::string::npos) != last)
        throw Error(flag + ": '" + text + "' is not CONTAINER:HOST:COUNT (three numbers)");
      v[i] = std::stoull(part);
      pos = end + 1;
    }
    constexpr std::uint64_t kIds = 4294967295ULL;  // uid (u32)-1 is never a valid id
    if (v[2] == 0 || v[0] + v[2] > kIds || v[1] + v[2] > kIds)
      throw Error(flag + ": '" + text + "': the count must be at least 1 and the ranges stay " +
                  "below 4294967295");
    ns::IdMapping m{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]),
                    static_cast<std::uint32_t>(v[2])};
    auto overlap = [](std::uint64_t a, std::uint64_t b, std::uint64_t n, std::uint64_t k) {
      return a < b + k && b < a + n;
    };
    for (const auto& o : maps)
      if (overlap(m.container_id, o.container_id, m.size, o.size) ||
          overlap(m.host_id, o.host_id, m.size, o.size))
        throw Error(flag + ": '" + text + "' overlaps another range");
    maps.push_back(m);
  }
  if (maps.size() > 340) throw Error(flag + ": at most 340 ranges");  // the kernel's limit
  return maps;
}

}  // namespace

void apply_limit_flags(const std::string& memory, std::optional<std::int64_t> pids,
                       std::optional<double> cpus, std::optional<std::uint64_t> cpu_shares,
                       spec::Resources& out) {
  if (!memory.empty()) {
    auto bytes = with_context("--memory", [&] { return spec::parse_size(memory); });
    if (!bytes || *bytes <= 0) throw Error("--memory: '" + memory + "' must be a positive size");
    out.memory_limit = *bytes;
    out.memory_swap = *bytes;  // no swap on top, as Docker
  }
  if (pids) {
    if (*pids <= 0 && *pids != -1) throw Error("--pids: must be positive, or -1 for unlimited");
    out.pids_limit = *pids;
  }
  if (cpus) {
    if (!(*cpus >= 0.01) || !std::isfinite(*cpus) || *cpus > 1024)
      throw Error("--cpus: must be a number of cores from 0.01 to 1024");
    out.cpu_period = 100000;
    out.cpu_quota = static_cast<std::int64_t>(std::llround(*cpus * 100000));
  }
  if (cpu_shares) {
    if (*cpu_shares < kMinCpuShares || *cpu_shares > kMaxCpuShares)
      throw Error("--cpu-shares: must be from " + std::to_string(kMinCpuShares) + " to " +
                  std::to_string(kMaxCpuShares) + " (1024 is the default weight)");
    out.cpu_shares = *cpu_shares;
  }
}

spec::Spec build_run_spec(const RunFlags& f, const image::Image& image, CreateOptions& options) {
  spec::Spec spec = spec::default_spec();
  options.name = f.name.empty() ? "box-" + runtime::random_hex(4) : f.name;
  options.image = f.image;
  options.init = f.init;
  options.events_file = f.events;
  if (!f.log_max.empty()) {
    auto bytes = with_context("--log-max", [&] { return spec::parse_size(f.log_max); });
    if (!bytes || *bytes <= 0)
      throw Error("--log-max: '" + f.log_max + "' must be a positive size");
    options.log_max = static_cast<std::uint64_t>(*bytes);
  }

  // Image config first, flags override (as Docker).
  const auto& cfg = image.config;
  std::vector<std::string> args = f.entrypoint ? *f.entrypoint : cfg.entrypoint;
  if (!f.command.empty())
    args.insert(args.end(), f.command.begin(), f.command.end());
  else if (!f.entrypoint)
    args.insert(args.end(), cfg.cmd.begin(), cfg.cmd.end());
  if (args.empty()) throw Error("no command: give one after the image name, e.g. -- sh");
  spec.process.args = args;
  for (const auto& e : cfg.env) set_env(spec.process.env, e);
  for (const auto& e : f.env) set_env(spec.process.env, e);
  if (!cfg.working_dir.empty()) spec.process.cwd = cfg.working_dir;
  if (!f.workdir.empty()) {
    if (f.workdir[0] != '/') throw Error("--workdir: '" + f.workdir + "' must be an absolute path");
    spec.process.cwd = f.workdir;
  }
  std::string user = f.user.empty() ? cfg.user : f.user;
  if (!user.empty()) {
    // Names are looked up in the image's own /etc/passwd and /etc/group.
    auto ids = with_context(f.user.empty() ? "image config User" : "--user",
                            [&] { return image::resolve_user(image, user); });
    spec.process.user.uid = ids.uid;
    spec.process.user.gid = ids.gid;
    spec.process.user.additional_gids = ids.additional_gids;
  }
  spec.process.terminal = f.tty;

  // Namespaces: default all but user; --ns replaces the set; --net adjusts network.
  NsSet ns;
  if (f.ns) {
    ns = with_context("--ns", [&] { return NsSet::parse(*f.ns); });
  } else {
    ns = NsSet::all();
    ns.remove(NsKind::user);
  }
  if (!f.net.empty() && f.net != "none" && f.net != "host" && f.net != "bridge" &&
      f.net != "slirp4netns")
    throw Error("--net: '" + f.net + "' is not one of none, host, bridge, slirp4netns");
  const bool slirp = f.net == "slirp4netns";
  if (slirp) net::require_slirp4netns();
  // Bridge mode is opt-in (--net bridge, --network, -p); the default stays a netns with lo.
  bool bridge = f.net == "bridge" || (f.net.empty() && (!f.network.empty() || !f.publish.empty()));
  if (!bridge && (!f.network.empty() || !f.publish.empty()))
    throw Error("--net " + f.net + ": --network and -p need bridge networking (--net bridge)");
  // Rootless (no root at all): a user namespace is what makes the others possible, so it is
  // always there; without a bridge (that needs root on the host) the network is the
  // container's own, with lo only.
  const bool rootless = ::geteuid() != 0;
  if (rootless) {
    if (bridge)
      throw Error(std::string(f.publish.empty() ? (f.network.empty() ? "--net bridge" : "--network")
                                                : "-p") +
                  ": bridge networking needs root; without root a container has its own network "
                  "with lo only (--net none), the host's (--net host), or one that reaches out "
                  "through slirp4netns (--net slirp4netns)");
    ns.add(NsKind::user);
  }
  if (f.net == "none" || bridge || slirp) {
    ns.add(NsKind::net);
  } else if (f.net == "host") {
    ns.remove(NsKind::net);
  }
  if (bridge) {
    net::Request request;
    if (!f.network.empty()) request.network = f.network;
    for (const auto& p : f.publish) request.ports.push_back(net::PortMap::parse(p));
    options.network = request;
  }
  options.slirp4netns = slirp;
  spec.namespaces.clear();
  for (NsKind k : kAllNsKinds)
    if (ns.has(k)) spec.namespaces.push_back({k, ""});
  if (rootless) {
    // One id: the caller's own uid and gid are the container's root, and the image's files
    // (unpacked by the caller) are root's inside.
    ns::RootlessMaps maps = ns::rootless_maps();
    spec.uid_mappings = maps.uids;
    spec.gid_mappings = maps.gids;
    // With one id the tty group (gid 5) is not mapped: devpts refuses gid=5 then (as `runc
    // spec --rootless` leaves it out).
    if (spec.gid_mappings.size() == 1)
      for (auto& m : spec.mounts)
        if (m.type == "devpts")
          std::erase_if(m.options, [](const std::string& o) { return o.rfind("gid=", 0) == 0; });
  } else if (ns.has(NsKind::user)) {
    spec.uid_mappings = {{0, kDefaultIdBase, kDefaultIdCount}};
    spec.gid_mappings = {{0, kDefaultIdBase, kDefaultIdCount}};
    if (!f.uidmap.empty()) {
      spec.uid_mappings = parse_id_maps("--uidmap", f.uidmap);
      spec.gid_mappings = spec.uid_mappings;
    }
    if (!f.gidmap.empty()) spec.gid_mappings = parse_id_maps("--gidmap", f.gidmap);
  }
  if (!f.uidmap.empty() || !f.gidmap.empty()) {
    const char* flag = f.uidmap.empty() ? "--gidmap" : "--uidmap";
    if (rootless)
      throw Error(std::string(flag) +
                  " needs root (without root the maps come from /etc/subuid and /etc/subgid)");
    if (!ns.has(NsKind::user))
      throw Error(std::string(flag) + " needs a user namespace (add user to --ns)");
  }
  if (ns.has(NsKind::uts))
    spec.hostname = f.hostname.empty() ? options.name : f.hostname;
  else if (!f.hostname.empty())
    throw Error("--hostname needs a uts namespace (add uts to --ns)");

  spec.root.readonly = f.read_only;
  for (const auto& kv : f.sysctls) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--sysctl: '" + kv + "' is not KEY=VALUE");
    spec.sysctl[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  for (const auto& v : f.volumes) {
    // SRC:DST[:ro|rw]
    auto first = v.find(':');
    if (first == std::string::npos) throw Error("--volume: '" + v + "' is not SRC:DST[:ro]");
    std::string src = v.substr(0, first), rest = v.substr(first + 1);
    auto second = rest.find(':');
    std::string dst = rest.substr(0, second),
                mode = second == std::string::npos ? "rw" : rest.substr(second + 1);
    if (src.empty() || src[0] != '/')
      throw Error("--volume: source '" + src + "' must be an absolute host path");
    if (dst.empty() || dst[0] != '/')
      throw Error("--volume: destination '" + dst + "' must be an absolute path");
    if (mode != "ro" && mode != "rw") throw Error("--volume: mode '" + mode + "' is not ro or rw");
    struct stat st;
    if (::stat(src.c_str(), &st) != 0) throw Error::system("--volume: source " + src);
    spec.mounts.push_back({dst, "bind", src, {"rbind", "nosuid", "nodev", mode}});
  }

  apply_limit_flags(f.memory, f.pids, f.cpus, f.cpu_shares, spec.resources);
  if (!f.memory_reservation.empty()) {
    auto bytes = with_context("--memory-reservation",
                              [&] { return spec::parse_size(f.memory_reservation); });
    if (!bytes || *bytes <= 0)
      throw Error("--memory-reservation: '" + f.memory_reservation + "' must be a positive size");
    spec.resources.memory_reservation = *bytes;
  }
  std::string delegate = runtime::check_cgroup_delegate(f.cgroup_delegate, spec);
  if (!delegate.empty())
    spec.annotations[std::string(runtime::kCgroupDelegateAnnotation)] = delegate;
  apply_run_security(spec, f.security);  // last: a non-root user gets no effective caps
  return spec;
}

}  // namespace boxlab
