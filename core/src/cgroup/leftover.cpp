#include "boxlab/cgroup/leftover.hpp"

#include <set>

#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "driver.hpp"

namespace boxlab::cgroup {

void record_pending(const std::filesystem::path& file, const std::string& name) {
  write_file_atomic(file, name, 0600);
}

void remove_pending(const std::filesystem::path& file) {
  if (!file_exists(file)) return;
  std::string name = read_trimmed(file);
  with_context("remove the half-made cgroup " + name, [&] {
    check_path(name);
    Placement where = locate();
    std::set<fs::path> dirs;
    for (const auto& [hierarchy, dir] : v1_dirs(where, name)) dirs.insert(dir);
    if (!where.unified.empty()) dirs.insert(place(where.unified, where.unified_mount, name));
    for (const auto& dir : dirs)
      if (file_exists(dir)) kill_each(read_procs(dir, true), [&] { return read_procs(dir, true); });
    auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    for (const auto& dir : dirs) remove_cgroup_dir(dir, false, deadline);
  });
}

}  // namespace boxlab::cgroup
