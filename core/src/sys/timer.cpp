#include "boxlab/sys/timer.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include "boxlab/error.hpp"

namespace boxlab::sys {
namespace {

timespec to_timespec(std::chrono::nanoseconds d) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
  return {static_cast<time_t>(secs.count()), static_cast<long>((d - secs).count())};
}

}  // namespace

Fd periodic_timer(std::chrono::nanoseconds period, std::chrono::nanoseconds first) {
  Fd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd) throw Error::system("timerfd_create");
  itimerspec spec{to_timespec(period), to_timespec(first.count() > 0 ? first : period)};
  if (::timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) throw Error::system("timerfd_settime");
  return fd;
}

std::uint64_t drain_timer(int fd) {
  std::uint64_t expirations = 0;
  if (::read(fd, &expirations, sizeof expirations) != sizeof expirations) return 0;
  return expirations;
}

}  // namespace boxlab::sys
