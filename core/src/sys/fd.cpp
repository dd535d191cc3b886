#include "boxlab/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "boxlab/error.hpp"

namespace boxlab {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe Pipe::create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error::system("pipe2");
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

}  // namespace boxlab
