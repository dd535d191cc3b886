// Cgroups that create() began but whose to_json() never reached the container's state, because
// boxlab was killed in between (or in the middle of create(), leaving only some controllers).
// The container's state dir names them beforehand in a file; remove() clears them by name.
#pragma once

#include <filesystem>
#include <string>

namespace boxlab::cgroup {

// Writes NAME to FILE before Cgroup::create(NAME, ..) makes anything.
void record_pending(const std::filesystem::path& file, const std::string& name);

// When FILE exists: kills the processes in the cgroups named in it below each of this process's
// cgroup directories and removes them (what exists of them). No-op without FILE.
void remove_pending(const std::filesystem::path& file);

}  // namespace boxlab::cgroup
