// The files of a container's cgroup directories with their values, for the app's cgroup panel
// (serve's `inspect` reply, `cgroupFiles`): named as this host's cgroup version names them
// (v1 memory.limit_in_bytes, v2 memory.max), read from outside, never written.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace boxlab::serve {

// `saved` is the container state's `cgroup` ({"layout", "dirs": {controller: path}}). Returns
// {"layout", "dirs": [{"controller", "path", "files": [{"name", "value"}]}]}: per directory
// (a path shared by controllers once), its memory.*, pids.*, cpu.*, cpuacct.* and freezer.*
// files plus cgroup.procs, by name; files that cannot be read (write-only, or gone) are left
// out, long ones (memory.stat, per-CPU tables) too, values cut at 300 bytes.
nlohmann::json cgroup_files(const nlohmann::json& saved);

// One directory's files as above (for tests on a fake tree).
nlohmann::json cgroup_dir_files(const std::filesystem::path& dir);

}  // namespace boxlab::serve
