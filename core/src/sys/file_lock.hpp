// An exclusive flock on a lock file, held for the object's lifetime.
#pragma once

#include <filesystem>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

// Opens (creating it, O_CLOEXEC so children never inherit it) `file` and blocks until it holds
// an exclusive flock on it. flock belongs to the open file, so two FileLocks on the same file
// exclude each other across processes and across threads of one process alike. Throws
// boxlab::Error naming the file.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& file);

 private:
  Fd fd_;  // closing it releases the lock
};

}  // namespace boxlab::sys
