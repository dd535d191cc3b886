#include "boxlab/fs/mount_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

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
  // Propagation options are accepted; containers get private mounts regardless.
  static const char* kIgnored[] = {"private", "rprivate",   "slave",       "rslave",  "shared",
                                   "rshared", "unbindable", "runbindable", "defaults"};
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
    bool ignored = false;
    for (const char* name : kIgnored) ignored = ignored || opt == name;
    if (ignored) continue;
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

namespace {

using process::MountOp;

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

bool host_is_cgroup2() {
  struct stat st;
  return ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

}  // namespace

void plan_mounts(const MountPlanInput& in, process::ChildPlan& plan) {
  const auto& spec = in.spec;
  bool userns = in.new_namespaces.has(NsKind::user);
  bool has_dev = false;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    ParsedOptions opts = parse_mount_options(m.options);
    MountOp op;
    op.target = m.destination;
    op.flags = opts.flags;
    op.description =
        "mount " + (m.type.empty() ? std::string("bind") : m.type) + " on " + m.destination;
    if (m.destination == "/dev") has_dev = true;
    if (opts.bind || m.type == "bind") {
      op.kind = MountOp::Kind::bind;
      std::filesystem::path source = m.source;
      if (source.is_relative()) source = in.bundle / source;
      struct stat st;
      if (::stat(source.c_str(), &st) != 0)
        throw Error::system("/mounts/" + std::to_string(i) + "/source: " + source.string());
      op.source = source.string();
      op.directory = S_ISDIR(st.st_mode);
      if (opts.recursive) op.flags |= MS_REC;
      op.description = "bind " + op.source + " on " + m.destination;
    } else if (m.type == "cgroup" || m.type == "cgroup2") {
      // A fresh cgroup2 view needs a cgroup namespace on a pure v2 host; the v1 layout comes
      // with the cgroups work. Until then the directory holds an empty read-only tmpfs.
      op.kind = MountOp::Kind::fs;
      if (host_is_cgroup2() && in.new_namespaces.has(NsKind::cgroup)) {
        op.source = "cgroup2";
        op.fstype = "cgroup2";
      } else {
        op.source = "tmpfs";
        op.fstype = "tmpfs";
        op.data = "size=0,mode=755";
        op.flags |= MS_RDONLY;
      }
    } else {
      op.kind = MountOp::Kind::fs;
      op.source = m.source.empty() ? m.type : m.source;
      op.fstype = m.type;
      op.data = opts.data;
      if (userns) {
        // A user namespace may mount proc only with its own pid namespace, sysfs only with its
        // own network namespace, mqueue only with its own ipc namespace; else bind the host's.
        if (m.type == "proc" && !in.new_namespaces.has(NsKind::pid)) {
          op.fallback_bind = true;
          op.fallback_source = "/proc";
        } else if (m.type == "sysfs" && !in.new_namespaces.has(NsKind::net)) {
          op.fallback_bind = true;
          op.fallback_source = "/sys";
        } else if (m.type == "mqueue" && !in.new_namespaces.has(NsKind::ipc)) {
          op.fallback_bind = true;
          op.fallback_source = "/dev/mqueue";
          struct stat st;
          if (::stat("/dev/mqueue", &st) != 0) continue;  // nothing to show
        }
      }
    }
    plan.mounts.push_back(std::move(op));
  }

  if (has_dev) {
    for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"})
      plan.mounts.push_back(device(name));
    plan.mounts.push_back(symlink("/proc/self/fd", "/dev/fd"));
    plan.mounts.push_back(symlink("/proc/self/fd/0", "/dev/stdin"));
    plan.mounts.push_back(symlink("/proc/self/fd/1", "/dev/stdout"));
    plan.mounts.push_back(symlink("/proc/self/fd/2", "/dev/stderr"));
    plan.mounts.push_back(symlink("pts/ptmx", "/dev/ptmx"));
    plan.mounts.push_back(symlink("/proc/kcore", "/dev/core"));
    if (!in.console_path.empty()) {
      MountOp console = device("console");
      console.source = in.console_path;
      console.description = "bind the console on /dev/console";
      plan.mounts.push_back(std::move(console));
    }
  }

  for (const auto& path : spec.masked_paths) {
    MountOp op;
    op.kind = MountOp::Kind::mask_dir;
    op.target = path;
    op.description = "mask " + path;
    plan.mounts.push_back(std::move(op));
  }
  for (const auto& path : spec.readonly_paths) {
    MountOp op;
    op.kind = MountOp::Kind::readonly;
    op.target = path;
    op.description = "make " + path + " read-only";
    plan.mounts.push_back(std::move(op));
  }
}

}  // namespace boxlab::fs
