// The state directory of one container: state.json, an flock on the directory, liveness.
#pragma once

#include <filesystem>

#include "../sys/file_lock.hpp"
#include "boxlab/container.hpp"

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

// Start time of a process (/proc/PID/stat field 22), 0 when it is gone.
std::uint64_t process_start_time(pid_t pid);
// The recorded process still runs (same pid and start time, not a zombie).
bool process_alive(pid_t pid, std::uint64_t start_time);

std::string now_rfc3339();
std::string random_hex(size_t bytes);

}  // namespace boxlab::runtime
