// cgroup v1 cpuset controller.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void apply_cpuset(const fs::path& dir, const spec::Resources& r) {
  if (!r.cpuset_cpus) return;
  std::string what = "cpuset cpus '" + *r.cpuset_cpus + "'";
  // A new v1 cpuset has empty cpus and mems and refuses processes until both are set.
  if (read_if_exists(dir / "cpuset.mems").value_or("").empty()) {
    std::string mems = read_trimmed(dir.parent_path() / "cpuset.mems");
    write_limit(dir, "cpuset.mems", mems, what + ": copy the parent's cpuset.mems",
                "kernel without cpusets");
  }
  write_limit(dir, "cpuset.cpus", *r.cpuset_cpus, what, "kernel without cpusets");
}

}  // namespace boxlab::cgroup::v1
