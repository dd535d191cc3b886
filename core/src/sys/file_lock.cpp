#include "file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "boxlab/error.hpp"

namespace boxlab::sys {

FileLock::FileLock(const std::filesystem::path& file)
    : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (!fd_) throw Error::system("open " + file.string());
  while (::flock(fd_.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw Error::system("lock " + file.string());
}

}  // namespace boxlab::sys
