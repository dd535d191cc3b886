// Runtime::prune: `boxlab system prune`, the sweep after a crash. It reuses remove() for each
// dead container (which already finishes what a killed create or rm left: cgroup.pending,
// leases, veths, host mounts), and adds only what remove() cannot see: mounts below the state
// dir that no container's state records (a dir without state, a half-made overlay).
#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/runtime/state.hpp"

namespace boxlab {
namespace fsys = std::filesystem;

namespace {

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && std::isdigit(static_cast<unsigned char>(in[i + 1]))) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += in[i];
    }
  }
  return out;
}

// Mount points at or below `dir` in our mount namespace.
std::vector<fsys::path> mounts_below(const fsys::path& dir) {
  std::vector<fsys::path> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line, prefix = dir.string() + "/";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    point = unescape(point);
    if (point.rfind(prefix, 0) == 0) out.emplace_back(point);
  }
  return out;
}

// What removing a dead container takes down, for the report.
std::string describe(const ContainerState& st) {
  std::vector<std::string> parts;
  if (st.cgroup.is_object()) parts.push_back("cgroup " + st.cgroup.value("name", std::string()));
  if (st.network.is_object()) {
    parts.push_back("address " + st.network.value("address", std::string()) + " on " +
                    st.network.value("network", std::string()));
    std::string veth = st.network.value("hostVeth", std::string());
    if (!veth.empty()) parts.push_back("veth " + veth);
  }
  if (!st.host_mounts.empty()) parts.push_back(std::to_string(st.host_mounts.size()) + " mounts");
  parts.push_back("state dir");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

std::vector<std::string> Runtime::prune(bool dry_run) {
  std::vector<std::string> report;
  fsys::path containers = containers_dir();
  if (!fsys::exists(containers)) return report;
  std::string verb = dry_run ? "would remove " : "removed ";

  // Which containers are dead; a live one (running, paused, created, or being created by a
  // boxlab that still runs) keeps everything it has.
  std::set<std::string> live;
  std::vector<std::pair<fsys::path, std::optional<ContainerState>>> dead;
  for (const auto& entry : fsys::directory_iterator(containers)) {
    if (!entry.is_directory()) continue;
    Container c(*this, entry.path());
    std::optional<ContainerState> st;
    if (fsys::exists(entry.path() / "state.json")) {
      try {
        st = c.state();
      } catch (const Error&) {
        // Unreadable state: nothing to act on but the dir itself.
      }
    }
    if (st && st->status != Status::stopped) {
      live.insert(entry.path().filename());
      continue;
    }
    dead.emplace_back(entry.path(), std::move(st));
  }

  // Mounts of no live container, deepest first (a proc mount inside an overlay goes first).
  std::vector<fsys::path> stray;
  for (const auto& m : mounts_below(containers)) {
    std::string owner = m.lexically_relative(containers).begin()->string();
    if (!live.count(owner)) stray.push_back(m);
  }
  std::sort(stray.rbegin(), stray.rend());
  stray.erase(std::unique(stray.begin(), stray.end()), stray.end());
  for (const auto& m : stray) {
    if (!dry_run && ::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      throw Error::system("prune: unmount " + m.string());
    report.push_back((dry_run ? "would unmount " : "unmounted ") + m.string());
  }

  for (const auto& [dir, st] : dead) {
    std::string name = dir.filename();
    std::string what = st ? "container " + name + " (" + describe(*st) + ")"
                          : "container " + name + " (a create that died before its state)";
    if (dry_run) {
      report.push_back(verb + what);
      continue;
    }
    try {
      Container(*this, dir).remove(false);
      report.push_back(verb + what);
    } catch (const Error& e) {
      // It came alive meanwhile (a create that held the dir's lock), or another rm took it.
      if (e.kind() == ErrorKind::conflict || !fsys::exists(dir)) continue;
      throw;
    }
  }
  return report;
}

}  // namespace boxlab
