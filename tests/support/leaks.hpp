// What a boxlab root can leave behind on the host, captured before and after the churn so the
// two can be compared: mounts (nsfs and overlay included), cgroups, links, state dirs,
// image-store files; and address leases.
#pragma once

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "net_support.hpp"
#include "cgroup_sweep.hpp"

namespace boxlab::churn {
namespace fs = std::filesystem;

// mountinfo lines that belong to one of `roots`: mounted below it, or naming it in their
// options (an overlay's lowerdir/upperdir), as "mountpoint fstype options".
inline std::set<std::string> mounts_of(const std::vector<fs::path>& roots) {
  std::set<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mountpoint;
    f >> id >> parent >> dev >> root >> mountpoint;
    auto dash = line.find(" - ");
    std::string tail = dash == std::string::npos ? "" : line.substr(dash + 3);
    for (const auto& r : roots) {
      const std::string p = r.string();
      if (mountpoint == p || mountpoint.rfind(p + "/", 0) == 0 ||
          tail.find(p + "/") != std::string::npos) {
        out.insert(mountpoint + " " + tail);
        break;
      }
    }
  }
  return out;
}

using test::cgroups_named;  // tests/support/cgroup_sweep.hpp

// Every file below dir (relative paths), for the image store: the churn must not change it.
inline std::set<std::string> files_below(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    out.insert(it->path().lexically_relative(dir).string());
  return out;
}

inline std::set<std::string> entries_of(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
  return out;
}

// The address leases of a root's networks (state/networks/*.json "leases").
inline std::string leases_of(const fs::path& root) {
  std::string out;
  for (const auto& name : entries_of(root / "state/networks")) {
    if (fs::path(name).extension() != ".json") continue;
    std::ifstream in(root / "state/networks" / name);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_object() && j.contains("leases") && !j["leases"].empty())
      out += name + ": " + j["leases"].dump() + "\n";
  }
  return out;
}

struct Snapshot {
  std::set<std::string> mounts, cgroups, links, state_dirs, image_files;
};

inline Snapshot snapshot(const std::vector<fs::path>& roots, const std::string& prefix) {
  Snapshot s;
  s.mounts = mounts_of(roots);
  s.cgroups = cgroups_named(prefix);
  for (const auto& l : test::links_made()) s.links.insert(l);
  for (const auto& r : roots) {
    for (const auto& c : entries_of(r / "state/containers")) s.state_dirs.insert(r / c);
    for (const auto& f : files_below(r / "images"))
      s.image_files.insert((r / "images" / f).string());
  }
  return s;
}

inline std::string diff(const std::set<std::string>& before, const std::set<std::string>& after) {
  std::string out;
  for (const auto& a : after)
    if (!before.count(a)) out += "  + " + a + "\n";
  for (const auto& b : before)
    if (!after.count(b)) out += "  - " + b + "\n";
  return out;
}

}  // namespace boxlab::churn
