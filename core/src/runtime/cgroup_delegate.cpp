// cgroup delegation: see cgroup_delegate.hpp.
#include "cgroup_delegate.hpp"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "boxlab/error.hpp"

namespace boxlab::runtime {

namespace fsys = std::filesystem;

const std::vector<std::string>& delegable_controllers() {
  static const std::vector<std::string> list = {"memory", "pids"};
  return list;
}

std::string check_cgroup_delegate(const std::vector<std::string>& list, const spec::Spec& spec) {
  std::string joined;
  for (const auto& item : list) {
    std::stringstream parts(item);  // "memory,pids" or repeated flags
    for (std::string c; std::getline(parts, c, ',');) {
      const auto& known = delegable_controllers();
      if (std::find(known.begin(), known.end(), c) == known.end())
        throw Error("--cgroup-delegate: '" + c + "' is not a controller that can be delegated " +
                    "(memory, pids)");
      if (("," + joined + ",").find("," + c + ",") != std::string::npos)
        throw Error("--cgroup-delegate: '" + c + "' is named twice");
      joined += (joined.empty() ? "" : ",") + c;
    }
  }
  if (joined.empty()) return joined;
  // Handed to the container's root: that must be a mapped id of its own, never the host's root.
  if (!spec::root_shift(spec))
    throw Error(
        "--cgroup-delegate needs a user namespace whose root is mapped (add user to --ns): the "
        "cgroup is handed to the container's root, which must not be the host's");
  return joined;
}

std::vector<std::string> delegated_controllers(const spec::Spec& spec) {
  std::vector<std::string> out;
  auto it = spec.annotations.find(std::string(kCgroupDelegateAnnotation));
  if (it == spec.annotations.end()) return out;
  std::stringstream parts(it->second);
  const auto& known = delegable_controllers();
  for (std::string c; std::getline(parts, c, ',');) {
    // A bundle may carry the annotation too: only what --cgroup-delegate would take.
    if (std::find(known.begin(), known.end(), c) == known.end())
      throw Error("/annotations/" + std::string(kCgroupDelegateAnnotation) + ": '" + c +
                  "' is not a controller that can be delegated (memory, pids)");
    out.push_back(c);
  }
  return out;
}

void delegate_cgroup(const cgroup::Cgroup& cg, const std::vector<std::string>& controllers,
                     uid_t uid, gid_t gid) {
  if (controllers.empty()) return;
  if (cg.layout() == cgroup::Layout::v2)
    throw Error(
        "--cgroup-delegate: not done on cgroup v2 yet (it needs a cgroup namespace and a "
        "delegated subtree); this host's cgroups are v2");
  nlohmann::json dirs = cg.to_json()["dirs"];
  for (const auto& c : controllers) {
    if (!dirs.contains(c))
      throw Error("--cgroup-delegate: the " + c + " controller is not mounted on this host");
    fsys::path dir = dirs[c].get<std::string>();
    // The directory (to make and remove cgroups below it) and the files that move processes
    // (cgroup.procs, tasks); every limit file stays root's.
    for (const fsys::path& p : {dir, dir / "cgroup.procs", dir / "tasks"})
      if (::chown(p.c_str(), uid, gid) != 0)
        throw Error::system("--cgroup-delegate: chown " + p.string());
  }
}

}  // namespace boxlab::runtime
