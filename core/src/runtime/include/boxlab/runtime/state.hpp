// The state directory of one container: state.json, an flock on the directory, liveness.
#pragma once

#include <filesystem>

#include "boxlab/container.hpp"
#include "boxlab/sys/file_lock.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::runtime {

// Exclusive lock on a container directory for the lifetime of the object, so two boxlab
// commands on one container never interleave.
class DirLock {
 public:
  explicit DirLock(const std::filesystem::path& dir) : lock_(sys::FileLock::directory(dir)) {}

 private:
  sys::FileLock lock_;
};

ContainerState load_state(const std::filesystem::path& dir);
void save_state(const std::filesystem::path& dir, const ContainerState& state);

// Moved down to sys (net uses them too); the runtime keeps calling them by these names.
using sys::process_alive;
using sys::process_start_time;
using sys::now_rfc3339;
using sys::random_hex;

}  // namespace boxlab::runtime
