#include "boxlab/fs/mount_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <map>

#include "boxlab/error.hpp"

namespace boxlab::fs {

ParsedOptions parse_mount_options(const std::vector<std::string>& options) {
  struct Flag {
    bool clear;
    unsigned long value;
  };
  static const std::map<std::string, Flag> kFlags = {
      {"ro", {false, MS_RDONLY}},         {"rw", {true, MS_RDONLY}},
      {"nosuid", {false, MS_NOSUID}},     {"suid", {true, MS_NOSUID}},
      {"nodev", {false, MS_NODEV}},       {"dev", {true, MS_NODEV}},
      {"noexec", {false, MS_NOEXEC}},     {"exec", {true, MS_NOEXEC}},
      {"sync", {false, MS_SYNCHRONOUS}},  {"async", {true, MS_SYNCHRONOUS}},
      {"dirsync", {false, MS_DIRSYNC}},   {"noatime", {false, MS_NOATIME}},
      {"atime", {true, MS_NOATIME}},      {"nodiratime", {false, MS_NODIRATIME}},
      {"relatime", {false, MS_RELATIME}}, {"strictatime", {false, MS_STRICTATIME}},
  };
  // Propagation options: set on the mount once it is made (apply_mount).
  static const std::map<std::string, unsigned long> kPropagation = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
  static const char* kIgnored[] = {"defaults"};  // mount(8)'s "nothing special"
  ParsedOptions out;
  for (const auto& opt : options) {
    if (opt == "bind") {
      out.bind = true;
      continue;
    }
    if (opt == "rbind") {
      out.bind = out.recursive = true;
      continue;
    }
    if (auto it = kFlags.find(opt); it != kFlags.end()) {
      if (it->second.clear)
        out.flags &= ~it->second.value;
      else
        out.flags |= it->second.value;
      continue;
    }
    if (auto it = kPropagation.find(opt); it != kPropagation.end()) {
      out.propagation = it->second;
      continue;
    }
    bool ignored = false;
    for (const char* name : kIgnored) ignored = ignored || opt == name;
    if (ignored) continue;
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

bool is_bind(const spec::Mount& m) {
  return m.type == "bind" || parse_mount_options(m.options).bind;
}

namespace {

MountOp device(const std::string& name) {
  MountOp op;
  op.kind = MountOp::Kind::device;
  op.source = "/dev/" + name;
  op.target = "/dev/" + name;
  op.directory = false;
  op.description = "bind device /dev/" + name;
  return op;
}

MountOp symlink(const std::string& target, const std::string& link) {
  MountOp op;
  op.kind = MountOp::Kind::symlink;
  op.source = target;
  op.target = link;
  op.description = "symlink " + link + " -> " + target;
  return op;
}

void plan_bind(const MountPlanInput& in, size_t i, bool recursive, MountOp& op) {
  const auto& m = in.spec.mounts[i];
  op.kind = MountOp::Kind::bind;
  std::filesystem::path source = bind_source(m, in.bundle);
  const auto& fact = in.host.bind_sources.at(i);
  if (fact.errnum != 0)
    throw Error("/mounts/" + std::to_string(i) + "/source: " + source.string(), fact.errnum);
  op.source = source.string();
  op.directory = fact.directory;
  if (recursive) op.flags |= MS_REC;
  op.description = "bind " + op.source + " on " + m.destination;
}

// A fresh cgroup2 view needs a cgroup namespace on a pure v2 host. On v1 (and hybrid) the
// directory is a tmpfs with each hierarchy of the container's cgroup bound below it, read-only
// when the spec says so, as runc and crun lay it out (the tmpfs itself stays writable, as theirs
// does); the binds wait for the child to be in its cgroup. Otherwise an empty read-only tmpfs.
void plan_cgroup(const MountPlanInput& in, MountOp& op, std::vector<MountOp>& below) {
  op.kind = MountOp::Kind::fs;
  if (in.host.cgroup2 && in.new_namespaces.has(NsKind::cgroup)) {
    op.needs_cgroup = true;
    op.source = "cgroup2";
    op.fstype = "cgroup2";
    if (in.host.cgroup2_writable) op.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    return;
  }
  op.source = "tmpfs";
  op.fstype = "tmpfs";
  if (in.host.cgroup_v1.empty()) {
    op.data = "size=0,mode=755";
    op.flags |= MS_RDONLY;
    return;
  }
  unsigned long bind_flags = op.flags;
  op.data = "mode=755";
  op.flags = (op.flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  for (const auto& view : in.host.cgroup_v1) {
    MountOp bind;
    bind.kind = MountOp::Kind::bind;
    bind.source = view.dir.string();
    bind.target = op.target + "/" + view.name;
    bind.flags = view.writable ? bind_flags & ~MS_RDONLY : bind_flags;
    bind.needs_cgroup = true;
    bind.skip_missing_source = true;
    bind.description = std::string(view.writable ? "bind the container's delegated cgroup "
                                                 : "bind the container's cgroup ") +
                       bind.source + " on " + bind.target;
    below.push_back(std::move(bind));
    for (const auto& link : view.links) below.push_back(symlink(view.name, op.target + "/" + link));
  }
}

// False when the mount is left out (nothing of the host's to show).
bool plan_fs(const MountPlanInput& in, const spec::Mount& m, std::string data, MountOp& op) {
  op.kind = MountOp::Kind::fs;
  op.source = m.source.empty() ? m.type : m.source;
  op.fstype = m.type;
  op.data = std::move(data);
  const NsSet& ns = in.new_namespaces;
  if (!ns.has(NsKind::user)) return true;
  // A user namespace may mount proc only with its own pid namespace, sysfs only with its own
  // network namespace, mqueue only with its own ipc namespace; else bind the host's.
  if (m.type == "proc" && !ns.has(NsKind::pid)) {
    op.fallback_bind = true;
    op.fallback_source = "/proc";
  } else if (m.type == "sysfs" && !ns.has(NsKind::net)) {
    op.fallback_bind = true;
    op.fallback_source = "/sys";
  } else if (m.type == "mqueue" && !ns.has(NsKind::ipc)) {
    op.fallback_bind = true;
    op.fallback_source = "/dev/mqueue";
    if (!in.host.dev_mqueue) return false;
  }
  return true;
}

// A node made on the container's /dev (mode 0666, root's), as runc and crun make the default
// ones outside a user namespace.
MountOp node(const char* name, unsigned major_nr, unsigned minor_nr) {
  MountOp op;
  op.kind = MountOp::Kind::node;
  op.target = std::string("/dev/") + name;
  op.mode = S_IFCHR | 0666;
  op.rdev = makedev(major_nr, minor_nr);
  op.description = "make device node /dev/" + std::string(name);
  return op;
}

// The default devices: made with mknod, or (in a user namespace, where mknod of a device is
// refused) the host's nodes bound.
void plan_devices(const MountPlanInput& in, std::vector<MountOp>& out) {
  struct Default {
    const char* name;
    unsigned major_nr, minor_nr;
  };
  constexpr Default kDefaults[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                   {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (const auto& d : kDefaults)
    out.push_back(in.new_namespaces.has(NsKind::user) ? device(d.name)
                                                      : node(d.name, d.major_nr, d.minor_nr));
  out.push_back(symlink("/proc/self/fd", "/dev/fd"));
  out.push_back(symlink("/proc/self/fd/0", "/dev/stdin"));
  out.push_back(symlink("/proc/self/fd/1", "/dev/stdout"));
  out.push_back(symlink("/proc/self/fd/2", "/dev/stderr"));
  out.push_back(symlink("pts/ptmx", "/dev/ptmx"));
  out.push_back(symlink("/proc/kcore", "/dev/core"));
  if (!in.console_path.empty()) {
    MountOp console = device("console");
    console.source = in.console_path;
    console.description = "bind the console on /dev/console";
    out.push_back(std::move(console));
  }
}

// linux.devices: made with mknod; in a user namespace (no mknod there) the host's node of the
// same path is bound instead, as runc does.
void plan_device_nodes(const MountPlanInput& in, std::vector<MountOp>& out) {
  for (const auto& d : in.spec.devices) {
    if (in.new_namespaces.has(NsKind::user)) {
      MountOp op = device(d.path.substr(5));
      op.description = "bind the host's " + d.path;
      out.push_back(std::move(op));
      continue;
    }
    MountOp op;
    op.kind = MountOp::Kind::node;
    op.target = d.path;
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    op.mode = type | (d.file_mode & 07777);
    op.rdev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    op.uid = d.uid;
    op.gid = d.gid;
    op.description = "make device node " + d.path;
    out.push_back(std::move(op));
  }
}

void plan_paths(const spec::Spec& spec, std::vector<MountOp>& out) {
  for (const auto& path : spec.masked_paths) {
    MountOp op;
    op.kind = MountOp::Kind::mask_dir;
    op.target = path;
    op.description = "mask " + path;
    out.push_back(std::move(op));
  }
  for (const auto& path : spec.readonly_paths) {
    MountOp op;
    op.kind = MountOp::Kind::readonly;
    op.target = path;
    op.description = "make " + path + " read-only";
    out.push_back(std::move(op));
  }
}

}  // namespace

std::vector<MountOp> plan_mounts(const MountPlanInput& in) {
  const auto& spec = in.spec;
  std::vector<MountOp> out;
  bool has_dev = false;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    ParsedOptions opts = parse_mount_options(m.options);
    MountOp op;
    op.target = m.destination;
    op.flags = opts.flags;
    op.propagation = opts.propagation;
    op.description =
        "mount " + (m.type.empty() ? std::string("bind") : m.type) + " on " + m.destination;
    if (m.destination == "/dev") has_dev = true;
    std::vector<MountOp> below;  // made on top of this one
    if (opts.bind || m.type == "bind") {
      plan_bind(in, i, opts.recursive, op);
    } else if (m.type == "cgroup" || m.type == "cgroup2") {
      plan_cgroup(in, op, below);
    } else if (!plan_fs(in, m, std::move(opts.data), op)) {
      continue;
    }
    out.push_back(std::move(op));
    for (auto& b : below) out.push_back(std::move(b));
  }
  if (has_dev) plan_devices(in, out);
  plan_device_nodes(in, out);
  plan_paths(spec, out);
  return out;
}

}  // namespace boxlab::fs
