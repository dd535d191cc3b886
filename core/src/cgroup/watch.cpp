#include "watch.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "boxlab/error.hpp"
#include "boxlab/sys/timer.hpp"
#include "cgfs.hpp"

namespace boxlab::cgroup {

namespace {

// How often v1 compares counters that change without a notification.
constexpr long kTickNs = 100'000'000;

void watch_fd(int epoll, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) throw Error::system("epoll_ctl");
}

// Reads what is pending on a non-blocking fd; for counter fds (eventfd, timerfd) the sum.
std::uint64_t drain(int fd, bool counter_fd) {
  std::uint64_t total = 0;
  for (;;) {
    alignas(inotify_event) char buf[4096];
    ssize_t n = ::read(fd, buf, counter_fd ? sizeof(std::uint64_t) : sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return total;
      throw Error::system("read cgroup event fd");
    }
    if (n == 0) return total;
    if (counter_fd && n == sizeof(std::uint64_t)) {
      std::uint64_t v;
      std::memcpy(&v, buf, sizeof v);
      total += v;
    }
  }
}

}  // namespace

Watch::Watch(const Driver& driver) {
  with_context("watch cgroup " + driver.name() + " for events", [&] {
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw Error::system("epoll_create1");
    auto sources = driver.event_sources();
    if (!sources.notify_files.empty()) {
      inotify_ = Fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
      if (!inotify_) throw Error::system("inotify_init1");
      for (const auto& file : sources.notify_files) {
        if (::inotify_add_watch(inotify_.get(), file.c_str(), IN_MODIFY) < 0)
          throw Error::system("inotify_add_watch " + file.string());
      }
      watch_fd(epoll_.get(), inotify_.get());
    }
    const auto& dir = sources.oom_control_dir;
    if (!dir.empty() && file_exists(dir / "cgroup.event_control")) {
      eventfd_ = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      if (!eventfd_) throw Error::system("eventfd");
      oom_control_ = Fd(::open((dir / "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
      if (!oom_control_) throw Error::system("open " + (dir / "memory.oom_control").string());
      write_value(dir / "cgroup.event_control",
                  std::to_string(eventfd_.get()) + " " + std::to_string(oom_control_.get()));
      watch_fd(epoll_.get(), eventfd_.get());
    }
    if (sources.tick) {
      timer_ = sys::periodic_timer(std::chrono::nanoseconds(kTickNs));
      watch_fd(epoll_.get(), timer_.get());
    }
    last_ = counters(driver.stats());
  });
}

Watch::Counters Watch::counters(const Stats& s) {
  Counters c;
  if (s.memory) {
    c.oom = s.memory->oom.value_or(0);
    c.oom_kill = s.memory->oom_kill;
  }
  if (s.pids) c.pids_max = s.pids->max_hits;
  return c;
}

std::vector<Event> Watch::read(const Driver& driver) {
  std::uint64_t v1_ooms = eventfd_ ? drain(eventfd_.get(), true) : 0;
  if (inotify_) drain(inotify_.get(), false);
  if (timer_) drain(timer_.get(), true);
  Stats stats = driver.stats();
  Counters now = counters(stats);
  std::vector<Event> out;
  auto report = [&](EventKind kind, std::uint64_t current, std::uint64_t previous) {
    if (current > previous) out.push_back({kind, current - previous});
  };
  // v2 counts OOMs in memory.events; v1 only through the eventfd.
  if (stats.memory && stats.memory->oom) {
    report(EventKind::oom, now.oom, last_.oom);
  } else if (v1_ooms > 0) {
    out.push_back({EventKind::oom, v1_ooms});
  }
  report(EventKind::oom_kill, now.oom_kill, last_.oom_kill);
  report(EventKind::pids_max, now.pids_max, last_.pids_max);
  last_ = now;
  return out;
}

}  // namespace boxlab::cgroup
