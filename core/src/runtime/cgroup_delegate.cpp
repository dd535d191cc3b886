// cgroup delegation: see cgroup_delegate.hpp.
#include "cgroup_delegate.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

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
  // Pure v2: the container sees its delegated cgroup through a cgroup namespace rooted there,
  // mounted in its own mount namespace (a host without cgroupfs fails at create, as ever).
  bool v2 = false;
  try {
    v2 = cgroup::detect() == cgroup::Layout::v2;
  } catch (const Error&) {
  }
  if (v2 && (!spec.has_namespace(NsKind::cgroup) || !spec.has_namespace(NsKind::mount)))
    throw Error(
        "--cgroup-delegate: on cgroup v2 the container needs a cgroup and a mount namespace (add "
        "cgroup,mount to --ns): it manages its cgroup as the root of its own /sys/fs/cgroup");
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

namespace {

void hand_over(const fsys::path& p, uid_t uid, gid_t gid) {
  if (::chown(p.c_str(), uid, gid) != 0)
    throw Error::system("--cgroup-delegate: chown " + p.string());
}

// D's leaf for the container's processes, D and the leaf handed over (module comment).
DelegatedLeaf delegate_v2(const fsys::path& dir, const std::vector<std::string>& controllers,
                          uid_t uid, gid_t gid) {
  std::stringstream available(read_file(dir / "cgroup.controllers"));
  std::vector<std::string> there;
  for (std::string c; available >> c;) there.push_back(c);
  DelegatedLeaf out;
  for (const auto& c : controllers) {
    if (std::find(there.begin(), there.end(), c) == there.end())
      throw Error("--cgroup-delegate: the " + c + " controller does not reach " + dir.string() +
                  " (not in its cgroup.controllers: boxlab's own cgroup does not pass it on)");
    out.enable += (out.enable.empty() ? "+" : " +") + c;
  }
  fsys::path leaf = dir / kDelegatedLeaf;
  if (::mkdir(leaf.c_str(), 0755) != 0)
    throw Error::system("--cgroup-delegate: mkdir " + leaf.string());
  // The files that move processes and hand controllers on; D's limit files stay root's.
  for (const fsys::path& d : {dir, leaf}) {
    hand_over(d, uid, gid);
    for (const char* f : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"})
      hand_over(d / f, uid, gid);
  }
  out.leaf_procs.reset(::open((leaf / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  out.subtree.reset(::open((dir / "cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
  if (!out.leaf_procs || !out.subtree)
    throw Error::system("--cgroup-delegate: open the control files of " + dir.string());
  return out;
}

}  // namespace

DelegatedLeaf delegate_cgroup(const cgroup::Cgroup& cg, const std::vector<std::string>& controllers,
                              uid_t uid, gid_t gid) {
  if (controllers.empty()) return {};
  nlohmann::json dirs = cg.to_json()["dirs"];
  if (cg.layout() == cgroup::Layout::v2)
    return delegate_v2(dirs["unified"].get<std::string>(), controllers, uid, gid);
  for (const auto& c : controllers) {
    if (!dirs.contains(c))
      throw Error("--cgroup-delegate: the " + c + " controller is not mounted on this host");
    fsys::path dir = dirs[c].get<std::string>();
    // The directory (to make and remove cgroups below it) and the files that move processes
    // (cgroup.procs, tasks); every limit file stays root's.
    for (const fsys::path& p : {dir, dir / "cgroup.procs", dir / "tasks"}) hand_over(p, uid, gid);
  }
  return {};
}

nlohmann::json process_cgroup(const spec::Spec& spec, const nlohmann::json& saved) {
  if (!saved.is_object() || saved.value("layout", "") != "v2" ||
      delegated_controllers(spec).empty())
    return saved;
  nlohmann::json leaf = saved;
  leaf["name"] = saved["name"].get<std::string>() + "/" + kDelegatedLeaf;
  leaf["dirs"]["unified"] = saved["dirs"]["unified"].get<std::string>() + "/" + kDelegatedLeaf;
  return leaf;
}

}  // namespace boxlab::runtime
