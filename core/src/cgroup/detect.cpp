// Layout detection and our own place in each hierarchy, from /proc/self/mountinfo and
// /proc/self/cgroup (below a root prefix, so tests can use a fake tree).
#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "parse.hpp"

namespace boxlab::cgroup {

namespace {

fs::path under(const fs::path& root, const std::string& absolute) {
  auto rel = fs::path(absolute).relative_path();
  return rel.empty() ? root : root / rel;
}

// Where the cgroup PATH (as /proc/self/cgroup names it) is, through mount M; nullopt when M does
// not show it (a mount of a sub-tree, or a path outside our cgroup namespace).
std::optional<fs::path> through(const MountEntry& m, const std::string& path,
                                const fs::path& root) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  for (const auto& part : fs::path(path))
    if (part == "..") return std::nullopt;
  std::string rel;
  if (m.root == "/") {
    rel = path;
  } else if (path == m.root || path.starts_with(m.root + "/")) {
    rel = path.substr(m.root.size());
  } else {
    return std::nullopt;
  }
  fs::path dir = under(root, m.mount_point);
  auto sub = fs::path(rel).relative_path();
  return sub.empty() ? dir : dir / sub;
}

bool has_real_controller(const std::vector<std::string>& controllers) {
  return std::any_of(controllers.begin(), controllers.end(),
                     [](const std::string& c) { return !c.starts_with("name="); });
}

Layout layout_of(const std::vector<MountEntry>& mounts, const fs::path& mountinfo) {
  bool v1 = false, v2 = false;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup" && has_real_controller(v1_controllers(m.super_options))) v1 = true;
    if (m.fstype == "cgroup2") v2 = true;
  }
  if (v1) return v2 ? Layout::hybrid : Layout::v1;
  if (v2) return Layout::v2;
  throw Error("no cgroup filesystem is mounted (none in " + mountinfo.string() + ")");
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::v1:
      return "v1";
    case Layout::v2:
      return "v2";
    case Layout::hybrid:
      return "hybrid";
  }
  return "unknown";
}

Layout detect(const fs::path& root) {
  fs::path mountinfo = root / "proc/self/mountinfo";
  return layout_of(parse_mountinfo(read_file(mountinfo)), mountinfo);
}

namespace {

// Where the process whose /proc/PID/cgroup is `cgroup_file` sits, through our own mounts.
Placement locate_from(const fs::path& root, const fs::path& cgroup_file) {
  fs::path mountinfo = root / "proc/self/mountinfo";
  auto mounts = parse_mountinfo(read_file(mountinfo));
  Placement p;
  p.layout = layout_of(mounts, mountinfo);
  auto lines = parse_proc_cgroup(read_file(cgroup_file));
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup") {
      auto controllers = sorted(v1_controllers(m.super_options));
      bool named_only = !has_real_controller(controllers);
      if (named_only && controllers.size() != 1) continue;
      for (const auto& line : lines) {
        if (line.controllers.empty() || sorted(line.controllers) != controllers) continue;
        auto dir = through(m, line.path, root);
        if (!dir) continue;
        if (named_only && !p.named.count(controllers[0])) p.named[controllers[0]] = *dir;
        for (const auto& c : controllers)
          if (!p.v1_mounts.count(c)) p.v1_mounts[c] = under(root, m.mount_point);
        for (const auto& c : controllers)
          if (!c.starts_with("name=") && !p.v1.count(c)) p.v1[c] = *dir;
      }
    } else if (m.fstype == "cgroup2" && p.unified.empty()) {
      for (const auto& line : lines) {
        if (line.id != "0" || !line.controllers.empty()) continue;
        if (auto dir = through(m, line.path, root)) {
          p.unified = *dir;
          p.unified_mount = under(root, m.mount_point);
        }
      }
    }
  }
  return p;
}

}  // namespace

Placement locate(const fs::path& root) {
  return locate_from(root, root / "proc/self/cgroup");
}

Placement locate_process(pid_t pid) {
  try {
    return locate_from("/", "/proc/" + std::to_string(pid) + "/cgroup");
  } catch (const Error&) {
    throw Error("process " + std::to_string(pid) + " is gone");
  }
}

}  // namespace boxlab::cgroup
