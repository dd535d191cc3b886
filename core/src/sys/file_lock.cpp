#include "boxlab/sys/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <utility>

#include "boxlab/error.hpp"

namespace boxlab::sys {
namespace {

Fd open_or_throw(const std::filesystem::path& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("open " + path.string());
  return fd;
}

}  // namespace

FileLock::FileLock(Fd fd, const std::filesystem::path& what, Mode mode) : fd_(std::move(fd)) {
  int op = mode == Mode::shared ? LOCK_SH : LOCK_EX;
  while (::flock(fd_.get(), op) != 0)
    if (errno != EINTR) throw Error::system("lock " + what.string());
}

FileLock::FileLock(const std::filesystem::path& file, Mode mode)
    : FileLock(open_or_throw(file, O_RDWR | O_CREAT), file, mode) {}

FileLock FileLock::directory(const std::filesystem::path& dir, Mode mode) {
  return FileLock(open_or_throw(dir, O_RDONLY | O_DIRECTORY), dir, mode);
}

}  // namespace boxlab::sys
