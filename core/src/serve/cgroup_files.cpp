#include "cgroup_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace boxlab::serve {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxValue = 300;

bool wanted(const std::string& name) {
  static const std::set<std::string> long_files = {"memory.stat",
                                                   "memory.numa_stat",
                                                   "memory.kmem.slabinfo",
                                                   "cpuacct.usage_all",
                                                   "cpuacct.usage_percpu",
                                                   "cpuacct.usage_percpu_sys",
                                                   "cpuacct.usage_percpu_user",
                                                   "cgroup.event_control"};
  if (long_files.count(name)) return false;
  if (name == "cgroup.procs") return true;
  for (const char* prefix : {"memory.", "pids.", "cpu.", "cpuacct.", "freezer."})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

nlohmann::json cgroup_dir_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!wanted(name)) continue;
    struct stat st {};
    // Write-only files (memory.force_empty, cgroup.event_control) read as EINVAL even for root.
    if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0444) == 0)
      continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& name : names) {
    std::ifstream in(dir / name);
    if (!in) continue;
    std::string value(kMaxValue + 1, '\0');
    in.read(value.data(), static_cast<std::streamsize>(value.size()));
    if (in.bad()) continue;
    value.resize(static_cast<std::size_t>(in.gcount()));
    if (value.size() > kMaxValue) value = value.substr(0, kMaxValue) + "...";
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    files.push_back({{"name", name}, {"value", value}});
  }
  return files;
}

nlohmann::json cgroup_files(const nlohmann::json& saved) {
  nlohmann::json out = {{"layout", saved.value("layout", "")}, {"dirs", nlohmann::json::array()}};
  if (!saved.contains("dirs") || !saved["dirs"].is_object()) return out;
  // memory, pids, cpu first: the controllers the labs are about.
  std::vector<std::string> order;
  for (const char* c : {"memory", "pids", "cpu", "cpuacct", "unified"})
    if (saved["dirs"].contains(c)) order.emplace_back(c);
  for (const auto& [controller, _] : saved["dirs"].items())
    if (std::find(order.begin(), order.end(), controller) == order.end())
      order.push_back(controller);
  std::set<std::string> seen;
  for (const std::string& controller : order) {
    const auto& path = saved["dirs"][controller];
    if (!path.is_string()) continue;
    std::error_code ec;
    fs::path canonical = fs::canonical(path.get<std::string>(), ec);
    if (ec || !seen.insert(canonical.string()).second) continue;
    nlohmann::json files = cgroup_dir_files(canonical);
    if (files.empty()) continue;
    out["dirs"].push_back({{"controller", controller},
                           {"path", path.get<std::string>()},
                           {"files", std::move(files)}});
  }
  return out;
}

}  // namespace boxlab::serve
