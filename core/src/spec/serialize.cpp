// to_json(): a Spec back into config.json form, so boxlab's bundles also run on runc and crun.
#include <nlohmann/json.hpp>

#include "boxlab/spec.hpp"

namespace boxlab::spec {

using nlohmann::json;

namespace {

json process_json(const Process& p) {
  json user = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (!p.user.additional_gids.empty()) user["additionalGids"] = p.user.additional_gids;
  json out = {{"terminal", p.terminal}, {"user", user}, {"args", p.args},
              {"env", p.env},           {"cwd", p.cwd}, {"noNewPrivileges", p.no_new_privileges}};
  if (!p.rlimits.empty()) {
    json rlimits = json::array();
    for (const Rlimit& r : p.rlimits) {
      rlimits.push_back({{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
    }
    out["rlimits"] = rlimits;
  }
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    out["capabilities"] = {{"bounding", c.bounding},
                           {"effective", c.effective},
                           {"permitted", c.permitted},
                           {"inheritable", c.inheritable},
                           {"ambient", c.ambient}};
  }
  if (p.oom_score_adj) out["oomScoreAdj"] = *p.oom_score_adj;
  if (p.umask) out["user"]["umask"] = *p.umask;
  return out;
}

json mount_json(const Mount& m) {
  json out = {{"destination", m.destination}};
  if (!m.type.empty()) out["type"] = m.type;
  if (!m.source.empty()) out["source"] = m.source;
  if (!m.options.empty()) out["options"] = m.options;
  return out;
}

json mappings_json(const std::vector<IdMapping>& maps) {
  json out = json::array();
  for (const IdMapping& m : maps) {
    out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  }
  return out;
}

void add_block_io(json& out, const Resources& r) {
  json b = json::object();
  if (r.blkio_weight) b["weight"] = *r.blkio_weight;
  if (r.blkio_leaf_weight) b["leafWeight"] = *r.blkio_leaf_weight;
  for (const auto& d : r.blkio_weight_device) {
    json entry = {{"major", d.major}, {"minor", d.minor}};
    if (d.weight) entry["weight"] = *d.weight;
    if (d.leaf_weight) entry["leafWeight"] = *d.leaf_weight;
    b["weightDevice"].push_back(entry);
  }
  auto throttles = [&](const char* key, const std::vector<ThrottleDevice>& list) {
    for (const auto& t : list)
      b[key].push_back({{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}});
  };
  throttles("throttleReadBpsDevice", r.blkio_throttle_read_bps);
  throttles("throttleWriteBpsDevice", r.blkio_throttle_write_bps);
  throttles("throttleReadIOPSDevice", r.blkio_throttle_read_iops);
  throttles("throttleWriteIOPSDevice", r.blkio_throttle_write_iops);
  if (!b.empty()) out["blockIO"] = b;
}

// Only the limits that are set, so an empty Resources writes nothing (runc reads absent as
// "leave the cgroup default").
json resources_json(const Resources& r) {
  json out = json::object();
  if (r.memory_limit) out["memory"]["limit"] = *r.memory_limit;
  if (r.memory_reservation) out["memory"]["reservation"] = *r.memory_reservation;
  if (r.memory_swap) out["memory"]["swap"] = *r.memory_swap;
  if (r.cpu_shares) out["cpu"]["shares"] = *r.cpu_shares;
  if (r.cpu_quota) out["cpu"]["quota"] = *r.cpu_quota;
  if (r.cpu_period) out["cpu"]["period"] = *r.cpu_period;
  if (r.cpuset_cpus && !r.cpuset_cpus->empty()) out["cpu"]["cpus"] = *r.cpuset_cpus;
  if (r.pids_limit) out["pids"]["limit"] = *r.pids_limit;
  if (!r.devices.empty()) {
    json devices = json::array();
    for (const auto& d : r.devices) {
      json entry = {{"allow", d.allow}, {"type", std::string(1, d.type)}};
      if (d.major >= 0) entry["major"] = d.major;
      if (d.minor >= 0) entry["minor"] = d.minor;
      std::string access;
      if (d.access & security::kRead) access += 'r';
      if (d.access & security::kWrite) access += 'w';
      if (d.access & security::kMknod) access += 'm';
      entry["access"] = access;
      devices.push_back(entry);
    }
    out["devices"] = devices;
  }
  if (r.cpu_realtime_runtime) out["cpu"]["realtimeRuntime"] = *r.cpu_realtime_runtime;
  if (r.cpu_realtime_period) out["cpu"]["realtimePeriod"] = *r.cpu_realtime_period;
  if (r.cpuset_mems && !r.cpuset_mems->empty()) out["cpu"]["mems"] = *r.cpuset_mems;
  if (r.memory_swappiness) out["memory"]["swappiness"] = *r.memory_swappiness;
  if (r.memory_disable_oom_killer) out["memory"]["disableOOMKiller"] = *r.memory_disable_oom_killer;
  add_block_io(out, r);
  for (const auto& h : r.hugepage_limits)
    out["hugepageLimits"].push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
  if (r.net_class_id) out["network"]["classID"] = *r.net_class_id;
  for (const auto& p : r.net_priorities)
    out["network"]["priorities"].push_back({{"name", p.name}, {"priority", p.priority}});
  for (const auto& [device, l] : r.rdma) {
    json limits = json::object();
    if (l.hca_handles) limits["hcaHandles"] = *l.hca_handles;
    if (l.hca_objects) limits["hcaObjects"] = *l.hca_objects;
    out["rdma"][device] = limits;
  }
  if (!r.unified.empty()) out["unified"] = r.unified;
  return out;
}

json linux_json(const Spec& s) {
  json namespaces = json::array();
  for (const Namespace& ns : s.namespaces) {
    json entry = {{"type", std::string(ns_oci_name(ns.kind))}};
    if (!ns.path.empty()) entry["path"] = ns.path;
    namespaces.push_back(entry);
  }
  json out = {{"namespaces", namespaces},
              {"maskedPaths", s.masked_paths},
              {"readonlyPaths", s.readonly_paths}};
  if (!s.uid_mappings.empty()) out["uidMappings"] = mappings_json(s.uid_mappings);
  if (!s.gid_mappings.empty()) out["gidMappings"] = mappings_json(s.gid_mappings);
  if (json resources = resources_json(s.resources); !resources.empty()) {
    out["resources"] = resources;
  }
  if (!s.cgroups_path.empty()) out["cgroupsPath"] = s.cgroups_path;
  if (!s.sysctl.empty()) out["sysctl"] = s.sysctl;
  if (!s.rootfs_propagation.empty()) out["rootfsPropagation"] = s.rootfs_propagation;
  if (s.personality)
    out["personality"] = {{"domain", *s.personality == 0x0008 ? "LINUX32" : "LINUX"}};
  if (!s.devices.empty()) {
    json devices = json::array();
    for (const auto& d : s.devices) {
      json j = {{"path", d.path},
                {"type", std::string(1, d.type)},
                {"fileMode", d.file_mode},
                {"uid", d.uid},
                {"gid", d.gid}};
      if (d.type != 'p') {
        j["major"] = d.major;
        j["minor"] = d.minor;
      }
      devices.push_back(j);
    }
    out["devices"] = devices;
  }
  if (!s.seccomp.empty()) out["seccomp"] = json::parse(s.seccomp);
  return out;
}

}  // namespace

json to_json(const Spec& s) {
  json out = {{"ociVersion", s.oci_version}, {"process", process_json(s.process)}};
  // An empty root.path means "the runtime fills it in"; leave root out unless it says something.
  if (!s.root.path.empty() || s.root.readonly) {
    out["root"] = {{"path", s.root.path}, {"readonly", s.root.readonly}};
  }
  if (!s.hostname.empty()) out["hostname"] = s.hostname;
  json mounts = json::array();
  for (const Mount& m : s.mounts) mounts.push_back(mount_json(m));
  out["mounts"] = mounts;
  out["linux"] = linux_json(s);
  if (!s.annotations.empty()) out["annotations"] = s.annotations;
  if (!s.hooks.empty()) {
    auto hooks_json = [](const std::vector<Hook>& list) {
      json out = json::array();
      for (const auto& h : list) {
        json j = {{"path", h.path}};
        if (!h.args.empty()) j["args"] = h.args;
        if (!h.env.empty()) j["env"] = h.env;
        if (h.timeout) j["timeout"] = *h.timeout;
        out.push_back(j);
      }
      return out;
    };
    json& hooks = out["hooks"];
    const std::pair<const char*, const std::vector<Hook>*> kinds[] = {
        {"prestart", &s.hooks.prestart},
        {"createRuntime", &s.hooks.create_runtime},
        {"createContainer", &s.hooks.create_container},
        {"startContainer", &s.hooks.start_container},
        {"poststart", &s.hooks.poststart},
        {"poststop", &s.hooks.poststop}};
    for (const auto& [key, list] : kinds)
      if (!list->empty()) hooks[key] = hooks_json(*list);
  }
  return out;
}

}  // namespace boxlab::spec
