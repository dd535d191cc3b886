// Cgroup::event_fd(): one epoll fd over the kernel's notifications (v1 OOM eventfd, inotify on
// memory.events / pids.events, a timerfd tick on v1 for pids.events), and counters diffed to tell
// what happened.
#pragma once

#include <cstdint>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/fd.hpp"
#include "driver.hpp"

namespace boxlab::cgroup {

class Watch {
 public:
  explicit Watch(const Driver& driver);
  int fd() const { return epoll_.get(); }
  // Drains the notifications and returns the events since the previous call.
  std::vector<Event> read(const Driver& driver);

 private:
  struct Counters {
    std::uint64_t oom = 0;
    std::uint64_t oom_kill = 0;
    std::uint64_t pids_max = 0;
  };
  static Counters counters(const Stats& stats);

  Fd epoll_;
  Fd inotify_;
  Fd eventfd_;      // v1: signalled on each OOM in the memory cgroup
  Fd oom_control_;  // v1: must stay open while the eventfd is registered
  Fd timer_;        // v1: a tick to compare counters no notification covers (pids.events)
  Counters last_;
};

}  // namespace boxlab::cgroup
