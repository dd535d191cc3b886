// A flock held for the object's lifetime: on a lock file, or on a directory itself.
#pragma once

#include <filesystem>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

// flock belongs to the open file, so two FileLocks on the same file exclude each other across
// processes and across threads of one process alike. Blocks until it holds the lock (retrying
// after signals); throws boxlab::Error naming the file. The fd is O_CLOEXEC: children never
// inherit the lock.
class FileLock {
 public:
  enum class Mode { shared, exclusive };

  // Opens `file`, creating it (mode 0644) when missing, and locks it.
  explicit FileLock(const std::filesystem::path& file, Mode mode = Mode::exclusive);
  // Locks the directory `dir` itself (it must exist): for state kept inside it.
  static FileLock directory(const std::filesystem::path& dir, Mode mode = Mode::exclusive);

 private:
  FileLock(Fd fd, const std::filesystem::path& what, Mode mode);
  Fd fd_;  // closing it releases the lock
};

}  // namespace boxlab::sys
