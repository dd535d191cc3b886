// cgroup v1 cpuset controller.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void apply_cpuset(const fs::path& dir, const spec::Resources& r) {
  const char* const missing = "kernel without cpusets";
  // A new v1 cpuset has empty cpus and mems and refuses processes until both are set: what is
  // not given is copied from the parent (every container joins the cpuset hierarchy, limited or
  // not). Mems first, as before.
  auto fill = [&](const char* file, const std::optional<std::string>& value,
                  const std::string& what) {
    if (value) {
      write_limit(dir, file, *value, what, missing);
    } else if (read_if_exists(dir / file).value_or("").empty() &&
               file_exists(dir.parent_path() / file)) {
      write_limit(dir, file, read_trimmed(dir.parent_path() / file),
                  "copy the parent's " + std::string(file), missing);
    }
  };
  fill("cpuset.mems", r.cpuset_mems, kResources + "/cpu/mems '" + r.cpuset_mems.value_or("") + "'");
  fill("cpuset.cpus", r.cpuset_cpus, "cpuset cpus '" + r.cpuset_cpus.value_or("") + "'");
}

}  // namespace boxlab::cgroup::v1
