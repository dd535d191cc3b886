// linux.cgroupsPath: where the container's cgroup goes (plan_child.hpp).
#include <algorithm>
#include <map>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/sys/process.hpp"
#include "cgroup_delegate.hpp"
#include "plan_child.hpp"

namespace boxlab::runtime {

std::string container_cgroup_name(const std::string& path, const std::string& name) {
  if (path.empty()) return "boxlab-" + name + "-" + sys::random_hex(3);
  // A name, a relative path below boxlab's own cgroup, or an absolute one from each
  // hierarchy's root (as runc reads them); cgroup::Cgroup::create refuses one that is not
  // below boxlab's own cgroup.
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  bool ok = p != "/";
  std::string_view rest(p);
  if (ok && rest.front() == '/') rest.remove_prefix(1);
  while (ok) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    ok = !part.empty() && part != "." && part != ".." && part.front() != '.';
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (!ok)
    throw Error("/linux/cgroupsPath: '" + path +
                "': expected names separated by '/' (no empty, '.' or '..' part, none hidden)");
  if (std::filesystem::path(p).filename() == "boxlab-engine")
    throw Error("/linux/cgroupsPath: 'boxlab-engine' is the name boxlab gives its own leaf");
  if (p.front() == '/') {
    try {
      cgroup::check_placement(cgroup::locate(), p);
    } catch (const Error& e) {
      throw Error("/linux/cgroupsPath: " + std::string(e.what()));
    }
  }
  return p;
}

std::vector<fs::HostFacts::CgroupView> cgroup_v1_views(const spec::Spec& spec,
                                                       const std::string& cgroup_name) {
  bool asked = std::any_of(spec.mounts.begin(), spec.mounts.end(),
                           [](const spec::Mount& m) { return m.type == "cgroup"; });
  if (!asked) return {};
  cgroup::Placement where;
  try {
    where = cgroup::locate();
  } catch (const Error&) {
    return {};  // no cgroup filesystem: nothing to show (the mount stays an empty tmpfs)
  }
  if (where.layout == cgroup::Layout::v2) return {};
  // One view per mount point; its controllers (or name=) say where our own cgroup is.
  auto dirs = cgroup::v1_dirs(where, cgroup_name);
  const std::vector<std::string> delegated = delegated_controllers(spec);
  std::map<std::string, fs::HostFacts::CgroupView> views;
  auto add = [&](const std::string& controller) {
    auto mount = where.v1_mounts.find(controller);
    if (mount == where.v1_mounts.end()) return;
    std::string name = mount->second.filename().string();
    auto& view = views[name];
    view.name = name;
    view.dir = dirs.at(controller);
    if (std::find(delegated.begin(), delegated.end(), controller) != delegated.end())
      view.writable = true;
    if (controller != name && !controller.starts_with("name=")) view.links.push_back(controller);
  };
  for (const auto& [controller, own] : where.v1) add(controller);
  for (const auto& [named, own] : where.named) add(named);
  std::vector<fs::HostFacts::CgroupView> out;
  for (auto& [name, view] : views) out.push_back(std::move(view));
  return out;
}

}  // namespace boxlab::runtime
