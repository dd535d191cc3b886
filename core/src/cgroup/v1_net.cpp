// cgroup v1 net_cls and net_prio controllers (cgroup v2 has neither: support.cpp refuses them).
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void apply_net_cls(const fs::path& dir, const spec::Resources& r) {
  if (!r.net_class_id) return;
  write_limit(dir, "net_cls.classid", std::to_string(*r.net_class_id),
              kResources + "/network/classID " + std::to_string(*r.net_class_id),
              "kernel without the net_cls controller");
}

// One "NAME PRIORITY" write per interface; the kernel refuses an interface it does not know.
void apply_net_prio(const fs::path& dir, const spec::Resources& r) {
  for (std::size_t i = 0; i < r.net_priorities.size(); ++i) {
    const auto& p = r.net_priorities[i];
    write_limit(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority),
                kResources + "/network/priorities/" + std::to_string(i) + " (" + p.name + ")",
                "kernel without the net_prio controller");
  }
}

}  // namespace boxlab::cgroup::v1
