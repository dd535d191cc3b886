// A target's cgroup, for the lab engine's cgroup kind: the stats of the cgroup a process of the
// submission is in (read from /proc/PID/cgroup on the host, never from what mybox says), per
// controller with "own": whether that cgroup is strictly below the grading container's (one
// mybox made) rather than the grading container's own. Cgroups outside the grading container's
// subtree are never read: such a controller shows only "own": false.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

bool below(const fsys::path& dir, const fsys::path& top) {
  std::string d = dir.lexically_normal().string(), t = top.lexically_normal().string();
  return d.size() > t.size() + 1 && d.compare(0, t.size(), t) == 0 && d[t.size()] == '/';
}

}  // namespace

json target_cgroup_stats(pid_t pid, const json& grading) {
  if (!grading.is_object() || !grading.contains("dirs"))
    throw Error("the grading container has no cgroup");
  cgroup::Placement where = cgroup::locate_process(pid);
  std::string layout = grading.value("layout", "v1");
  bool v2 = layout == "v2";
  // The stats' groups and the controllers behind them (v2: the one unified directory).
  const std::map<std::string, std::vector<std::string>> groups = {
      {"memory", {"memory"}}, {"pids", {"pids"}}, {"cpu", {"cpu", "cpuacct"}}};
  json out = json::object();
  for (const auto& [group, controllers] : groups) {
    json dirs = json::object();
    bool known = false, own = false;
    for (const auto& item : grading["dirs"].items()) {
      const std::string& controller = item.key();
      if (!v2 && std::find(controllers.begin(), controllers.end(), controller) == controllers.end())
        continue;
      fsys::path top = item.value().get<std::string>();
      auto in_v1 = where.v1.find(controller);
      fsys::path dir = v2 ? where.unified : in_v1 == where.v1.end() ? fsys::path() : in_v1->second;
      if (dir.empty()) continue;
      dir = dir.lexically_normal();
      known = true;
      // A delegated v2 cgroup keeps the container's own processes in its leaf "init"
      // (runtime/cgroup_delegate.hpp): that is still the grading container's, not mybox's.
      bool leaf = v2 && dir == (top / "init").lexically_normal();
      own = own || (below(dir, top) && !leaf);
      // Read only the grading container's cgroup or one below it.
      if (below(dir, top) || dir == top.lexically_normal()) dirs[controller] = dir.string();
    }
    if (!known) continue;
    json stats = json::object();
    if (!dirs.empty()) {
      // One cgroup object per directory name (Cgroup::open wants the name each dir ends with).
      std::string name = fsys::path(dirs.begin().value().get<std::string>()).filename();
      json saved = {{"layout", layout}, {"name", name}, {"dirs", dirs}};
      json all = cgroup::to_json(cgroup::Cgroup::open(saved).stats());
      if (all.contains(group) && all[group].is_object()) stats = all[group];
    }
    stats["own"] = own;
    out[group] = stats;
  }
  return out;
}

}  // namespace boxlab::grade
